import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { resolveHlsOptions, type HlsOptions } from '../outputs/hls/options.ts';
import { HlsTimeline } from '../outputs/hls/timeline.ts';
import { attributes, parsePlaylist, type ParsedPlaylist } from '../../test/helpers/m3u8.ts';
import { silentLogger } from '../../test/helpers/server.ts';
import { FeedStream, type FeedOptions } from '../../test/helpers/timeline-feed.ts';

function timeline(t: TestContext, feed: FeedOptions = {}, options: Partial<HlsOptions> = {}): { stream: FeedStream; hls: HlsTimeline } {
  const stream = new FeedStream('feed', feed);
  const hls = new HlsTimeline(stream, resolveHlsOptions(options), silentLogger);
  t.after(() => hls.close());
  return { stream, hls };
}

function partTarget(playlist: ParsedPlaylist): number {
  return Number(attributes(playlist.tags.get('#EXT-X-PART-INF')!)['PART-TARGET']);
}

/** RFC 8216bis §4.4.4.9 and §4.4.3.8 on every part of a playlist. */
function assertPartRules(playlist: ParsedPlaylist): void {
  const target = partTarget(playlist);
  for (const segment of playlist.segments) {
    segment.parts.forEach((part, i) => {
      assert.ok(part.duration <= target, `part ${part.uri} lasts ${part.duration} s, over PART-TARGET ${target}`);
      const last = i === segment.parts.length - 1 && segment.uri !== undefined;
      if (!part.independent && !last) assert.ok(part.duration >= 0.85 * target, `part ${part.uri} lasts ${part.duration} s, under 85 % of ${target}`);
      assert.ok(part.duration > 0, `part ${part.uri} has no duration`);
    });
    if (segment.uri && segment.parts.length) {
      const sum = segment.parts.reduce((total, part) => total + part.duration, 0);
      assert.ok(Math.abs(sum - segment.duration!) < 0.001, `segment ${segment.msn}: parts add up to ${sum}, EXTINF says ${segment.duration}`);
    }
  }
}

test('30 fps with interleaved audio: 200 ms parts of whole frames, 2 s segments of whole GOPs starting with keyframes', (t) => {
  const { stream, hls } = timeline(t);
  stream.start();
  stream.feed(9.5);
  const playlist = parsePlaylist(hls.playlist(false));
  assert.equal(playlist.tags.get('#EXT-X-TARGETDURATION'), '2');
  assert.equal(partTarget(playlist), 0.2);
  assertPartRules(playlist);
  const complete = playlist.segments.filter((segment) => segment.uri);
  assert.ok(complete.length >= 4, `${complete.length} complete segments`);
  for (const segment of complete) {
    assert.ok(Math.round(segment.duration!) <= 2, `segment of ${segment.duration} s`);
    if (segment.parts.length) assert.ok(segment.parts[0]!.independent, `segment ${segment.msn} starts with a keyframe part`);
  }
  // Whole GOPs: after the first, every segment is two 1 s GOPs.
  assert.deepEqual(complete.slice(1).map((segment) => segment.duration), complete.slice(1).map(() => 2));
  assert.ok(playlist.tags.has('#EXT-X-INDEPENDENT-SEGMENTS'));
  // Keyframes mid-segment start an INDEPENDENT part too.
  assert.equal(complete[2]!.parts.filter((part) => part.independent).length, 2);
  // Parts are published as soon as they are full: the open segment shows its parts and a hint for the next one.
  const open = playlist.segments.at(-1)!;
  assert.equal(open.uri, undefined);
  assert.equal(open.parts.length, 7);
  assert.match(playlist.hint!, new RegExp(`^hls/${hls.run}-p${hls.nextPart}\\.m4s$`));
});

test('PART-TARGET is a whole number of frames: 24 fps gives 5-frame parts of 208.3 ms, each at least 85 % of it', (t) => {
  const { stream, hls } = timeline(t, { fps: 24, gopFrames: 48 });
  stream.start();
  stream.feed(8);
  const playlist = parsePlaylist(hls.playlist(false));
  assert.equal(partTarget(playlist), 0.209);
  assertPartRules(playlist);
  const parts = playlist.segments.flatMap((segment) => segment.parts);
  assert.ok(parts.filter((part) => Math.abs(part.duration - 5 / 24) < 1e-4).length >= parts.length - 2);
});

test('hold-backs and server control: PART-HOLD-BACK ≥ 3 × PART-TARGET, HOLD-BACK ≥ 3 × TARGETDURATION, CAN-SKIP-UNTIL ≥ 6 × TARGETDURATION', (t) => {
  const { stream, hls } = timeline(t, { fps: 25, gopFrames: 50 }, { partTargetSeconds: 0.33, segmentTargetSeconds: 4 });
  stream.start();
  stream.feed(12);
  const playlist = parsePlaylist(hls.playlist(false));
  const target = partTarget(playlist);
  const control = attributes(playlist.tags.get('#EXT-X-SERVER-CONTROL')!);
  const duration = Number(playlist.tags.get('#EXT-X-TARGETDURATION'));
  assert.equal(control['CAN-BLOCK-RELOAD'], 'YES');
  assert.ok(Number(control['PART-HOLD-BACK']) >= 3 * target, `PART-HOLD-BACK ${control['PART-HOLD-BACK']} for PART-TARGET ${target}`);
  assert.ok(Number(control['HOLD-BACK']) >= 3 * duration);
  assert.ok(Number(control['CAN-SKIP-UNTIL']) >= 6 * duration);
  assert.equal(Number(playlist.tags.get('#EXT-X-VERSION')), 9);
  assertPartRules(playlist);
});

test('audio-only fragments never make a part of their own: audio after the last frame of a segment opens the next one', (t) => {
  const { stream, hls } = timeline(t);
  stream.start();
  stream.feed(6);
  const playlist = parsePlaylist(hls.playlist(false));
  assertPartRules(playlist);
  // Every byte fed after the first keyframe is in exactly one part: nothing dropped, nothing doubled.
  const view = hls.view;
  const parts = [...view.segments, ...(view.open ? [view.open] : [])].flatMap((segment) => segment.parts);
  assert.deepEqual(parts.map((part) => part.n), parts.map((_, i) => i));
  assert.equal(parts.filter((part) => part.duration === 0).length, 0);
});

test('a part is the concatenation of its fragments, served the same from the open segment and after the segment closed', async (t) => {
  const { stream, hls } = timeline(t, { audio: false });
  stream.start();
  const fragments = stream.feed(0.5);
  const first = await hls.part(0);
  assert.deepEqual(first, Buffer.concat(fragments.slice(0, 6).map((fragment) => fragment.bytes)));
  stream.feed(3);
  assert.ok(hls.store.find(hls.view.segments[0]!.msn), 'the first segment is complete');
  assert.deepEqual(await hls.part(0), first);
  const segment = await hls.segment(hls.view.segments[0]!.msn);
  assert.deepEqual(segment!.subarray(0, first!.length), first);
});

test('TARGETDURATION covers a first GOP longer than the target, and never changes', (t) => {
  const { stream, hls } = timeline(t, { gopFrames: 120 });
  stream.start();
  stream.feed(13);
  const playlist = parsePlaylist(hls.playlist(false));
  assert.equal(playlist.tags.get('#EXT-X-TARGETDURATION'), '4');
  assertPartRules(playlist);
});

test('a GOP longer than the target duration later on is split at a part boundary; the playlist then stops claiming independent segments', (t) => {
  const { stream, hls } = timeline(t);
  stream.start();
  stream.feed(4);
  stream.feed(6, 180);
  const playlist = parsePlaylist(hls.playlist(false));
  assert.equal(playlist.tags.get('#EXT-X-TARGETDURATION'), '2');
  for (const segment of playlist.segments.filter((candidate) => candidate.uri)) {
    assert.ok(Math.round(segment.duration!) <= 2, `segment ${segment.msn} lasts ${segment.duration} s`);
  }
  assert.ok(!playlist.tags.has('#EXT-X-INDEPENDENT-SEGMENTS'));
  assertPartRules(playlist);
});

test('a source restart is a discontinuity with the new init; sequence numbers never go backwards', (t) => {
  const { stream, hls } = timeline(t, {}, { windowSeconds: 8 });
  stream.start();
  stream.feed(5.1);
  const before = parsePlaylist(hls.playlist(false));
  const lastBefore = before.segments.at(-1)!.msn;
  stream.start();
  stream.feed(3.5);
  const after = parsePlaylist(hls.playlist(false));
  const restart = after.segments.find((segment) => segment.discontinuity)!;
  assert.ok(restart, 'a segment carries EXT-X-DISCONTINUITY');
  assert.equal(restart.map, `hls/${hls.run}-i2.mp4`);
  assert.ok(restart.msn > lastBefore - 1, 'the restart continues the sequence');
  assert.equal(after.segments[0]!.map, `hls/${hls.run}-i1.mp4`);
  assert.equal(after.tags.get('#EXT-X-DISCONTINUITY-SEQUENCE'), '0');
  assertPartRules(after);
  assert.deepEqual(hls.init(2), Buffer.from('init-2'));
  // Once the old generation leaves the window, the discontinuity is counted in the header instead.
  stream.feed(12);
  const later = parsePlaylist(hls.playlist(false));
  assert.equal(later.tags.get('#EXT-X-DISCONTINUITY-SEQUENCE'), '1');
  assert.ok(later.segments.every((segment) => !segment.discontinuity && segment.map !== `hls/${hls.run}-i1.mp4`));
  assert.equal(hls.init(1), undefined, 'the old init is let go once no segment needs it');
  assert.ok(Number(later.tags.get('#EXT-X-MEDIA-SEQUENCE')) > Number(after.tags.get('#EXT-X-MEDIA-SEQUENCE')));
});

test('EXT-X-PART tags are listed only for the last three target durations; every segment has a PROGRAM-DATE-TIME', (t) => {
  const { stream, hls } = timeline(t);
  stream.start();
  stream.feed(20);
  const playlist = parsePlaylist(hls.playlist(false));
  let fromEnd = 0;
  for (const segment of [...playlist.segments].reverse()) {
    fromEnd += segment.duration ?? segment.parts.reduce((sum, part) => sum + part.duration, 0);
    if (fromEnd > 6 + 1e-6) assert.equal(segment.parts.length, 0, `segment ${segment.msn} is ${fromEnd} s from the end`);
    assert.ok(segment.programDate, `segment ${segment.msn} has a date`);
  }
  const dates = playlist.segments.map((segment) => Date.parse(segment.programDate!));
  dates.slice(1).forEach((date, i) => assert.ok(Math.abs(date - dates[i]! - playlist.segments[i]!.duration! * 1000) < 2, 'dates follow the durations'));
});

test('a delta update (_HLS_skip=YES) replaces the segments older than CAN-SKIP-UNTIL with EXT-X-SKIP', (t) => {
  const { stream, hls } = timeline(t);
  stream.start();
  stream.feed(30);
  const full = parsePlaylist(hls.playlist(false));
  const delta = parsePlaylist(hls.playlist(true));
  assert.ok(delta.skipped > 0);
  assert.equal(delta.segments.length + delta.skipped, full.segments.length);
  assert.deepEqual(delta.segments.map((segment) => segment.uri), full.segments.slice(delta.skipped).map((segment) => segment.uri));
  const kept = delta.segments.filter((segment) => segment.uri).reduce((sum, segment) => sum + segment.duration!, 0);
  assert.ok(kept >= 12, `the delta keeps ${kept} s`);
  assert.equal(delta.segments[0]!.map, full.segments[0]!.map, 'the map is repeated for the first listed segment');
});

test('markers become EXT-X-DATERANGE while they are in the window', (t) => {
  const { stream, hls } = timeline(t);
  stream.start();
  stream.feed(4);
  const old = stream.addMarker({ label: 'before the window', timeMs: Date.now() - 3600_000 });
  const marker = stream.addMarker({ label: 'goal', timeMs: undefined });
  const playlist = parsePlaylist(hls.playlist(false));
  assert.deepEqual(playlist.dateRanges, [{ ID: marker.id, CLASS: 'com.fragcast.marker', 'START-DATE': new Date(marker.timeMs).toISOString(), 'X-LABEL': 'goal' }]);
  assert.notEqual(old.id, marker.id);
});

test('media sequence numbers keep growing across timelines (a restart of fragcast)', async (t) => {
  const first = timeline(t);
  first.stream.start();
  first.stream.feed(3);
  // Two segments took 2 × 0.1 s of the clock the next run's numbers start from (real time makes them take 2 s).
  await new Promise((resolve) => setTimeout(resolve, 250));
  const second = timeline(t);
  assert.notEqual(first.hls.run, second.hls.run);
  second.stream.start();
  second.stream.feed(3);
  assert.ok(second.hls.view.segments[0]!.msn >= first.hls.view.segments.at(-1)!.msn);
});
