import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LatencyController } from '../player/latency-controller.ts';

const controller = new LatencyController({ targetBuffer: 0.3 });

test('plays at 1.0 near the target buffer', () => {
  assert.deepEqual(controller.decide({ currentTime: 10, bufferedEnd: 10.3, nextRangeStart: undefined }), { playbackRate: 1, seekTo: undefined });
  assert.equal(controller.decide({ currentTime: 10, bufferedEnd: 10.34, nextRangeStart: undefined }).playbackRate, 1);
});

test('speeds up gently when behind and slows down when the buffer runs thin', () => {
  const behind = controller.decide({ currentTime: 10, bufferedEnd: 10.7, nextRangeStart: undefined });
  assert.equal(behind.playbackRate, 1.1);
  assert.equal(behind.seekTo, undefined);
  const far = controller.decide({ currentTime: 10, bufferedEnd: 11.2, nextRangeStart: undefined });
  assert.equal(far.playbackRate, 1.15, 'clamped at maxRate');
  const thin = controller.decide({ currentTime: 10, bufferedEnd: 10.1, nextRangeStart: undefined });
  assert.equal(thin.playbackRate, 0.95);
});

test('jumps to the live edge when far behind', () => {
  const decision = controller.decide({ currentTime: 10, bufferedEnd: 13, nextRangeStart: undefined });
  assert.equal(decision.seekTo, 12.7);
  assert.equal(decision.playbackRate, 1);
});

test('jumps over a gap in the buffer', () => {
  const decision = controller.decide({ currentTime: 10, bufferedEnd: 11, nextRangeStart: 10.5 });
  assert.equal(decision.seekTo, 10.7);
});

test('catches up briskly while settling after a start, then gently', () => {
  const state = { currentTime: 10, bufferedEnd: 10.55, nextRangeStart: undefined };
  assert.equal(controller.decide({ ...state, settling: true }).playbackRate, 1.25);
  assert.equal(controller.decide(state).playbackRate, 1.06);
  assert.equal(controller.decide({ ...state, bufferedEnd: 11.2, settling: true }).playbackRate, 1.5, 'clamped at settleMaxRate');
  assert.equal(controller.decide({ ...state, bufferedEnd: 10.2, settling: true }).playbackRate, 0.9, 'a thin buffer still slows down');
  assert.equal(controller.decide({ ...state, bufferedEnd: 10.34, settling: true }).playbackRate, 1.04, 'settling aims at the target, not the deadband edge');
  assert.equal(controller.decide({ ...state, bufferedEnd: 10.34 }).playbackRate, 1, 'once settled, within the deadband is on target');
});

test('the target rises with each stall, up to its ceiling, and relaxes after quiet play', () => {
  const adaptive = new LatencyController({ targetBuffer: 0.15, stallStep: 0.1, maxTargetBuffer: 0.4, relaxAfter: 30 });
  assert.equal(adaptive.target, 0.15);
  adaptive.stalled(100);
  assert.equal(adaptive.target, 0.25);
  // The raised target steers: 0.25 s ahead is now on target, where 0.15 s was before.
  assert.equal(adaptive.decide({ currentTime: 10, bufferedEnd: 10.25, nextRangeStart: undefined, now: 101 }).playbackRate, 1);
  adaptive.stalled(102);
  adaptive.stalled(103);
  assert.equal(adaptive.target, 0.4, 'clamped at maxTargetBuffer');
  adaptive.decide({ currentTime: 10, bufferedEnd: 10.4, nextRangeStart: undefined, now: 132 });
  assert.equal(adaptive.target, 0.4, 'not yet: 29 s since the last stall');
  adaptive.decide({ currentTime: 10, bufferedEnd: 10.4, nextRangeStart: undefined, now: 133 });
  assert.equal(adaptive.target, 0.3, 'one step down after 30 quiet seconds');
  adaptive.decide({ currentTime: 10, bufferedEnd: 10.4, nextRangeStart: undefined, now: 163 });
  adaptive.decide({ currentTime: 10, bufferedEnd: 10.4, nextRangeStart: undefined, now: 193 });
  adaptive.decide({ currentTime: 10, bufferedEnd: 10.4, nextRangeStart: undefined, now: 223 });
  assert.equal(adaptive.target, 0.15, 'never below targetBuffer');
});

test('a target asked above the default ceiling is kept, not clamped', () => {
  const high = new LatencyController({ targetBuffer: 3 });
  assert.equal(high.target, 3);
  high.stalled(1);
  assert.equal(high.target, 3);
});
