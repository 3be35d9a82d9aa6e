import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { FragcastError } from '../errors.ts';
import { decodeJpeg, jpegDecodeArgs } from '../outputs/snapshot/jpeg-decoder.ts';
import { LruCache } from '../outputs/snapshot/lru-cache.ts';
import { Semaphore } from '../outputs/snapshot/semaphore.ts';
import { liveChildren } from '../sources/child-reaper.ts';
import { fixture } from '../../test/helpers/fixtures.ts';
import { sampleValue, scrape } from '../../test/helpers/prometheus.ts';
import { addStillStream, startTestServer, streamReady, waitFor, type TestServer } from '../../test/helpers/server.ts';

const run = promisify(execFile);
let server: TestServer;
const dir = mkdtempSync(`${tmpdir()}/fragcast-snapshot-`);
after(() => rmSync(dir, { recursive: true, force: true }));

before(async () => {
  server = await startTestServer(undefined);
  addStillStream(server, 'still', 'av.mp4');
  addStillStream(server, 'radio', 'audio-only.mp4');
  addStillStream(server, 'silent');
  await Promise.all(['demo', 'still', 'radio'].map((name) => streamReady(server.registry.get(name)!)));
});
after(() => server.close());

async function probe(bytes: ArrayBuffer, name: string, extra: string[] = []): Promise<{ codec_name: string; width?: number; height?: number; nb_read_frames?: string }[]> {
  const path = `${dir}/${name}`;
  writeFileSync(path, Buffer.from(bytes));
  const { stdout } = await run('ffprobe', ['-v', 'error', ...extra, '-show_entries', 'stream=codec_name,width,height,nb_read_frames', '-of', 'json', path]);
  return (JSON.parse(stdout) as { streams: { codec_name: string; width?: number; height?: number }[] }).streams;
}

const errorCode = async (response: Response): Promise<string> => ((await response.json()) as { error: { code: string } }).error.code;

test('snapshot.jpg is a real JPEG of the asked width (ffprobe), at the source width by default', async () => {
  const small = await fetch(`${server.http}/streams/demo/snapshot.jpg?width=320`);
  assert.equal(small.status, 200);
  assert.equal(small.headers.get('content-type'), 'image/jpeg');
  assert.deepEqual(await probe(await small.arrayBuffer(), 'small.jpg'), [{ codec_name: 'mjpeg', width: 320, height: 180 }]);
  const full = await fetch(`${server.http}/streams/demo/snapshot.jpg`);
  assert.deepEqual(await probe(await full.arrayBuffer(), 'full.jpg'), [{ codec_name: 'mjpeg', width: 1280, height: 720 }]);
  // Out-of-range widths are clamped, not refused: to the source width above, to 32 below.
  const huge = await fetch(`${server.http}/streams/demo/snapshot.jpg?width=99999`);
  assert.equal((await probe(await huge.arrayBuffer(), 'huge.jpg'))[0]!.width, 1280);
  const tiny = await fetch(`${server.http}/streams/demo/snapshot.jpg?width=1`);
  assert.equal((await probe(await tiny.arrayBuffer(), 'tiny.jpg'))[0]!.width, 32);
});

test('ETag names the keyframe and width; Cache-Control lasts until the next keyframe; If-None-Match gets a 304', async () => {
  const first = await fetch(`${server.http}/streams/still/snapshot.jpg?width=160`);
  const etag = first.headers.get('etag')!;
  const keyframe = server.registry.get('still')!.cache.newest!.first;
  assert.match(etag, new RegExp(`^"[0-9a-f]{8}-${keyframe.generation}-${keyframe.seq}-160"$`));
  // The fixture has 1 s GOPs; the still stream's keyframe is old, so the next one is "due" now: the 1 s floor.
  assert.equal(first.headers.get('cache-control'), 'public, max-age=1');
  const again = await fetch(`${server.http}/streams/still/snapshot.jpg?width=160`, { headers: { 'If-None-Match': etag } });
  assert.equal(again.status, 304);
  assert.equal((await again.arrayBuffer()).byteLength, 0);
  const live = await fetch(`${server.http}/streams/demo/snapshot.jpg?width=160`);
  // The demo has 1 s GOPs: the next keyframe is always due within a second.
  assert.equal(live.headers.get('cache-control'), 'public, max-age=1');
});

test('200 concurrent requests for one keyframe start exactly one decode', async () => {
  const before = await scrape(server.http);
  const decodes = (samples: typeof before): number => sampleValue(samples, 'fragcast_snapshot_decodes_total', { stream: 'still', result: 'ok' }) ?? 0;
  const responses = await Promise.all(Array.from({ length: 200 }, () => fetch(`${server.http}/streams/still/snapshot.jpg?width=200`)));
  const bodies = await Promise.all(responses.map(async (r) => Buffer.from(await r.arrayBuffer())));
  assert.deepEqual([...new Set(responses.map((r) => r.status))], [200]);
  assert.equal(new Set(responses.map((r) => r.headers.get('etag'))).size, 1);
  assert.ok(bodies.every((body) => body.equals(bodies[0]!)), 'every answer is the same picture');
  const afterwards = await scrape(server.http);
  assert.equal(decodes(afterwards) - decodes(before), 1, 'one decode for 200 requests');
  const served = (how: string): number =>
    (sampleValue(afterwards, 'fragcast_snapshot_requests_total', { stream: 'still', served: how }) ?? 0) -
    (sampleValue(before, 'fragcast_snapshot_requests_total', { stream: 'still', served: how }) ?? 0);
  assert.equal(served('decoded'), 1);
  assert.equal(served('joined') + served('cache'), 199);
  assert.equal(served('busy'), 0);
});

test('unknown stream 404, audio only 404, no keyframe yet 503 with Retry-After, bad width 400', async () => {
  const missing = await fetch(`${server.http}/streams/nope/snapshot.jpg`);
  assert.equal(missing.status, 404);
  assert.equal(await errorCode(missing), 'STREAM_NOT_FOUND');
  const radio = await fetch(`${server.http}/streams/radio/snapshot.jpg`);
  assert.equal(radio.status, 404);
  assert.equal(await errorCode(radio), 'SNAPSHOT_NO_VIDEO');
  for (const path of ['snapshot.jpg', 'snapshot.mp4']) {
    const silent = await fetch(`${server.http}/streams/silent/${path}`);
    assert.equal(silent.status, 503);
    assert.equal(silent.headers.get('retry-after'), '1');
    assert.deepEqual(await silent.json(), { error: { code: 'STREAM_NOT_READY', message: 'Stream "silent" has no keyframe yet; retry in a moment' } });
  }
  for (const width of ['abc', '-5', '', '1.5', '0', '123456', '1e3', '%20320']) {
    const bad = await fetch(`${server.http}/streams/demo/snapshot.jpg?width=${width}`);
    assert.equal(bad.status, 400, `width=${width}`);
    assert.equal(await errorCode(bad), 'SNAPSHOT_WIDTH_INVALID');
  }
});

test('snapshot.mp4 is the init plus the newest keyframe: ffprobe decodes one H.264 frame', async () => {
  const response = await fetch(`${server.http}/streams/demo/snapshot.mp4`);
  assert.equal(response.status, 200);
  assert.equal(response.headers.get('content-type'), 'video/mp4');
  assert.match(response.headers.get('etag')!, /^"[0-9a-f]{8}-\d+-\d+"$/);
  const streams = await probe(await response.arrayBuffer(), 'one.mp4', ['-count_frames']);
  const video = streams.find((s) => s.codec_name === 'h264')!;
  assert.equal(video.nb_read_frames, '1');
  assert.equal(video.width, 1280);
});

test('the decoder: a hung ffmpeg is killed at the timeout; garbage is a decode failure; widths are integers only', async () => {
  const hang = `${dir}/hang.sh`;
  writeFileSync(hang, '#!/bin/sh\nexec sleep 30\n');
  chmodSync(hang, 0o755);
  const children = liveChildren();
  const started = performance.now();
  const mp4 = [fixture('av.mp4')];
  await assert.rejects(decodeJpeg({ ffmpegPath: hang, stream: 'x', mp4, width: 64, timeoutMs: 300, maxBytes: 1e6 }), (e: unknown) => e instanceof FragcastError && e.code === 'SNAPSHOT_TIMEOUT' && e.status === 504);
  assert.ok(performance.now() - started < 2000);
  await waitFor('the hung decoder to be gone', () => liveChildren() === children);

  await assert.rejects(
    decodeJpeg({ ffmpegPath: server.ffmpeg.path, stream: 'x', mp4: [Buffer.from('not an mp4 at all, not even close')], width: 64, timeoutMs: 5000, maxBytes: 1e6 }),
    (e: unknown) => e instanceof FragcastError && e.code === 'SNAPSHOT_DECODE_FAILED' && e.message.length > 40,
  );
  await assert.rejects(
    decodeJpeg({ ffmpegPath: server.ffmpeg.path, stream: 'x', mp4, width: 64, timeoutMs: 5000, maxBytes: 100 }),
    (e: unknown) => e instanceof FragcastError && e.code === 'SNAPSHOT_DECODE_FAILED' && /exceeds 100 bytes/.test(e.message),
  );
  for (const width of [0, 1.5, -1, Number.NaN, 1e6]) assert.throws(() => jpegDecodeArgs(width), TypeError);
  assert.ok(jpegDecodeArgs(320).includes('scale=320:-2'));
});

test('Semaphore bounds holders and waiters; LruCache bounds entries and bytes', async () => {
  const slots = new Semaphore(2, 1);
  const a = await slots.acquire()!;
  const b = await slots.acquire()!;
  const waiting = slots.acquire()!;
  assert.equal(slots.acquire(), undefined, 'the queue is full');
  let gotThird = false;
  void waiting.then(() => (gotThird = true));
  a();
  a(); // releasing twice is harmless
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(gotThird, true);
  assert.equal(slots.active, 2);
  b();
  (await waiting)();
  assert.equal(slots.active, 0);

  const cache = new LruCache<string>(2, 100);
  cache.set('a', 'A', 10);
  cache.set('b', 'B', 10);
  cache.get('a');
  cache.set('c', 'C', 10);
  assert.equal(cache.get('b'), undefined, 'least recently used went first');
  assert.equal(cache.get('a'), 'A');
  cache.set('big', 'X', 95);
  assert.equal(cache.size, 1);
  assert.equal(cache.bytes, 95);
  cache.set('huge', 'Y', 101);
  assert.equal(cache.get('huge'), undefined, 'a value over the byte bound is not stored');
});
