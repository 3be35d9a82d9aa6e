import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PlayerError } from '../player/events.ts';
import { LatencyController } from '../player/latency-controller.ts';
import { LiveEdge } from '../player/live-edge.ts';

/** Just what LiveEdge reads and writes of a video element: buffered ranges, the playhead, the rate, play(). */
class FakeVideo {
  ranges: [number, number][] = [];
  currentTime = 0;
  paused = true;
  seeking = false;
  ended = false;
  muted = true;
  playbackRate = 1;
  seeks: number[] = [];
  plays = 0;
  refuse: string | undefined;
  refuseMuted = false;

  get buffered(): TimeRanges {
    const ranges = this.ranges;
    return { length: ranges.length, start: (i: number) => ranges[i]![0], end: (i: number) => ranges[i]![1] } as TimeRanges;
  }

  play(): Promise<void> {
    this.plays++;
    if (this.refuse && (!this.muted || this.refuseMuted)) return Promise.reject(new DOMException('no', this.refuse));
    this.paused = false;
    return Promise.resolve();
  }
}

function edge(options: { seekable?: boolean } = {}): { video: FakeVideo; edge: LiveEdge; reloads: number[]; errors: PlayerError[] } {
  const video = new FakeVideo();
  const reloads: number[] = [];
  const errors: PlayerError[] = [];
  // Record seeks through the currentTime setter.
  let time = 0;
  Object.defineProperty(video, 'currentTime', {
    get: () => time,
    set: (value: number) => {
      time = value;
      video.seeks.push(value);
    },
  });
  const live = new LiveEdge(video as unknown as HTMLVideoElement, new LatencyController({ targetBuffer: 0.3 }), {
    seekable: options.seekable ?? true,
    reload: () => reloads.push(time),
    report: (error) => errors.push(error),
  });
  return { video, edge: live, reloads, errors };
}

test('starts at the target behind the newest media, and plays', () => {
  const { video, edge: live } = edge();
  live.steer(false);
  assert.equal(live.started, false, 'nothing buffered yet');
  video.ranges = [[4, 5.2]];
  live.steer(false);
  assert.equal(live.started, true);
  assert.deepEqual(video.seeks, [4.9]);
  assert.equal(video.plays, 1);
});

test('settles briskly after the start, then holds the target gently; jumps when far behind', () => {
  const { video, edge: live } = edge();
  video.ranges = [[0, 1]];
  live.steer(false);
  video.paused = false;
  video.ranges = [[0, 1.6]];
  live.steer(false);
  assert.equal(video.playbackRate, 1.5, 'settling: 0.6 s over the target');
  video.currentTime = 1.3;
  live.steer(false);
  assert.equal(video.playbackRate, 1, 'reached the target: settled');
  video.ranges = [[0, 2]];
  live.steer(false);
  assert.equal(video.playbackRate, 1.1, 'gentle from now on');
  assert.equal(live.live, true);
  video.ranges = [[0, 5]];
  live.steer(false);
  assert.equal(video.currentTime, 4.7, 'jumped: 3.7 s behind is past target + 2 s');
});

test('stalled at the end of a range with another after it (a source restart), it moves on to the next range', () => {
  const { video, edge: live } = edge();
  video.ranges = [[0, 4.437]];
  live.steer(false);
  video.paused = false;
  video.currentTime = 4.339;
  video.ranges = [[0, 4.437], [4.509, 4.6]];
  live.steer(false);
  assert.equal(video.currentTime, 4.339, 'not while it plays: Chromium may yet cross the gap itself');
  live.steer(true);
  assert.equal(video.currentTime, 4.509);
});

test('without seeking (a progressive live.mp4), being far behind or going live asks for the stream again', () => {
  const { video, edge: live, reloads } = edge({ seekable: false });
  video.ranges = [[1, 2]];
  live.steer(false);
  assert.deepEqual(video.seeks, [], 'starts where the download starts');
  video.paused = false;
  video.currentTime = 1;
  video.ranges = [[1, 4.5]];
  live.steer(false);
  assert.equal(reloads.length, 1);
  assert.deepEqual(video.seeks, [1]);
  video.paused = true;
  assert.equal(live.live, false, 'paused is behind live');
  live.goLive();
  assert.equal(reloads.length, 2);
  live.restart();
  assert.equal(live.started, false);
});

test('autoplay refused with sound: it plays muted and says so; refused even muted: it says a click is needed', async () => {
  const { video, edge: live, errors } = edge();
  video.muted = false;
  video.refuse = 'NotAllowedError';
  video.ranges = [[0, 1]];
  live.steer(false);
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.equal(video.muted, true);
  assert.equal(video.paused, false);
  assert.deepEqual(errors.map((error) => [error.details, error.fatal]), [['autoplayBlocked', false]]);
  assert.match(errors[0]!.message, /playing muted/);

  const strict = edge();
  strict.video.refuse = 'NotAllowedError';
  strict.video.refuseMuted = true;
  strict.video.ranges = [[0, 1]];
  strict.edge.steer(false);
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.equal(strict.video.paused, true);
  assert.deepEqual(strict.errors.map((error) => [error.details, error.fatal]), [['autoplayBlocked', false]]);
  assert.match(strict.errors[0]!.message, /even muted: a click will start it/);
});

/** Started, playing, and settled on the 0.3 s target. */
function settledEdge(): ReturnType<typeof edge> {
  const started = edge();
  started.video.ranges = [[0, 1]];
  started.edge.steer(false);
  started.video.paused = false;
  started.video.currentTime = 0.7;
  started.edge.steer(false);
  return started;
}

test('a stall after the start raises the target it steers to; one while starting does not', () => {
  const { video, edge: live } = edge();
  video.ranges = [[0, 1]];
  live.steer(false);
  live.stalled();
  assert.equal(live.figures.targetLatency, 0.3, 'still settling: the start stalls by nature');
  const settled = settledEdge();
  assert.equal(settled.edge.figures.targetLatency, 0.3);
  settled.edge.stalled();
  assert.equal(settled.edge.figures.targetLatency, 0.4, 'a stall in steady play: 0.1 s more');
  settled.video.ranges = [[0, 1.1]];
  settled.edge.steer(false);
  assert.equal(settled.video.playbackRate, 1, '0.4 s ahead is on the raised target');
});

test('waiting during a seek (a jump, the LIVE badge) is not a stall: the target stays', () => {
  const { video, edge: live } = settledEdge();
  video.seeking = true;
  live.stalled();
  assert.equal(live.figures.targetLatency, 0.3);
  video.seeking = false;
  live.stalled();
  assert.equal(live.figures.targetLatency, 0.4);
});
