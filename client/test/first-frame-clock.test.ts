import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FirstFrameClock } from '../player/media-stats.ts';

type FrameCallback = (now: number, frame: { expectedDisplayTime: number }) => void;

/** Just what the clock asks of a video element: requestVideoFrameCallback, when the browser has it. */
function fakeVideo(withCallback: boolean): { video: HTMLVideoElement; present: (expectedDisplayTime: number) => void } {
  const callbacks: FrameCallback[] = [];
  const video = (withCallback ? { requestVideoFrameCallback: (callback: FrameCallback) => callbacks.push(callback) } : {}) as unknown as HTMLVideoElement;
  return { video, present: (at) => callbacks.splice(0).forEach((callback) => callback(at + 30, { expectedDisplayTime: at })) };
}

test('the first frame is the one the element presents, at its display time, whatever `playing` says', () => {
  const { video, present } = fakeVideo(true);
  const clock = new FirstFrameClock();
  clock.loadStarted(video);
  clock.playing();
  assert.equal(clock.shown, false, '`playing` is not a frame where frames can be watched');
  const startedAt = performance.now();
  present(startedAt + 120);
  assert.equal(clock.shown, true);
  assert.equal(clock.figures.firstFrameAt, startedAt + 120, 'the display time, not when the callback ran');
  assert.ok(Math.abs(clock.figures.timeToFirstFrame! - 120) < 5);
  present(startedAt + 160);
  assert.equal(clock.figures.firstFrameAt, startedAt + 120, 'only the first counts');
});

test('without requestVideoFrameCallback, `playing` stands in for the first frame', () => {
  const { video } = fakeVideo(false);
  const clock = new FirstFrameClock();
  clock.loadStarted(video);
  assert.equal(clock.shown, false);
  clock.playing();
  assert.equal(clock.shown, true);
  const first = clock.figures.firstFrameAt;
  clock.playing();
  assert.equal(clock.figures.firstFrameAt, first);
});
