import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { FragcastError } from '../errors.ts';
import { resolveHlsOptions, type HlsOptions } from '../outputs/hls/options.ts';
import { HlsTimeline } from '../outputs/hls/timeline.ts';
import { waitFor, silentLogger } from '../../test/helpers/server.ts';
import { FeedStream } from '../../test/helpers/timeline-feed.ts';

const MiB = 1024 * 1024;

function timeline(t: TestContext, options: Partial<HlsOptions>, frameBytes = 1000): { stream: FeedStream; hls: HlsTimeline } {
  const stream = new FeedStream('dvr', { frameBytes });
  const hls = new HlsTimeline(stream, resolveHlsOptions(options), silentLogger);
  t.after(() => hls.close());
  stream.start();
  return { stream, hls };
}

test('the DVR window keeps windowSeconds of segments and drops older ones', (t) => {
  const { stream, hls } = timeline(t, { windowSeconds: 30 });
  stream.feed(100);
  const { seconds, segments, droppedEarly } = hls.store.stats;
  assert.ok(seconds >= 30 && seconds < 32, `${seconds} s in the window`);
  assert.equal(segments, hls.view.segments.length);
  assert.equal(droppedEarly, 0);
  const first = hls.view.segments[0]!;
  assert.equal(hls.store.find(first.msn - 1), undefined);
});

test('without a spill directory, memory is bounded in bytes: the window shrinks instead', (t) => {
  // 100 KB frames at 30 fps: 3 MB/s, so 4 MiB hold under two seconds (but never less than 3 target durations).
  const { stream, hls } = timeline(t, { windowSeconds: 120, maxMemoryBytes: 4 * MiB }, 100_000);
  stream.feed(60);
  const stats = hls.store.stats;
  assert.ok(stats.memoryBytes <= 4 * MiB + 6_100_000, `${stats.memoryBytes} bytes in memory`);
  assert.ok(stats.droppedEarly > 0);
  assert.ok(stats.seconds < 10, `${stats.seconds} s kept`);
});

test('with a spill directory, old segments move to disk and are served from there; close removes the files', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'fragcast-spill-test-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const { stream, hls } = timeline(t, { windowSeconds: 60, maxMemoryBytes: 4 * MiB, spillDir: dir }, 100_000);
  const firstFragments = stream.feed(2);
  for (let i = 0; i < 20; i++) {
    stream.feed(1);
    // Memory stays under the bound plus the one segment being written.
    assert.ok(hls.store.stats.memoryBytes <= 4 * MiB + 2 * 6_100_000, `${hls.store.stats.memoryBytes} bytes in memory`);
    // Give the writes their time, as a live stream does between frames.
    await new Promise((resolve) => setTimeout(resolve, 30));
  }
  await waitFor('memory back under its bound', () => hls.store.stats.memoryBytes <= 4 * MiB, 3000);
  const stats = hls.store.stats;
  assert.ok(stats.spillBytes > 10 * MiB, `${stats.spillBytes} bytes spilled`);
  assert.equal(stats.droppedEarly, 0);
  assert.ok(stats.seconds >= 20);
  const [streamDir] = readdirSync(dir);
  assert.match(streamDir!, /^dvr-/);
  const files = readdirSync(join(dir, streamDir!));
  assert.ok(files.every((file) => /^\d+\.m4s$/.test(file)), files.join(' '));
  // The first part, read back from its spilled segment, is still the bytes of the fragments from the first keyframe on
  // (the audio fragment before it had no segment to join).
  const firstPart = await hls.part(0);
  assert.ok(firstPart!.length > 6 * 100_000);
  assert.deepEqual(firstPart, Buffer.concat(firstFragments.slice(1).map((fragment) => fragment.bytes)).subarray(0, firstPart!.length));
  const segment = await hls.segment(hls.view.segments[0]!.msn);
  assert.equal(segment!.length, hls.view.segments[0]!.size);
  hls.close();
  assert.equal(existsSync(join(dir, streamDir!)), false);
});

test('invalid HLS options are refused at startup, every problem named', () => {
  assert.throws(
    () => resolveHlsOptions({ partTargetSeconds: 0, segmentTargetSeconds: 1.5, windowSeconds: 2, maxMemoryBytes: 10 }),
    (error: unknown) => {
      assert.ok(error instanceof FragcastError);
      assert.equal(error.code, 'INVALID_ARGUMENT');
      for (const key of ['partTargetSeconds', 'segmentTargetSeconds', 'windowSeconds', 'maxMemoryBytes']) assert.match(error.message, new RegExp(key));
      return true;
    },
  );
  assert.ok(Object.isFrozen(resolveHlsOptions({ windowSeconds: 3600 })));
});
