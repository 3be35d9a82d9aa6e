import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fragmentDelays } from '../floor/fragment-delays.ts';

test('fragmentDelays joins samples to the arrival log by prft and names the fragments whose slowest viewer is beyond the p99', () => {
  // Three fragments; a fourth prft was never logged by the server and must be left out.
  const arrivals: [number, number][] = [
    [1000.2, 5000],
    [1033.4, 5033],
    [1066.6, 5066],
  ];
  const viewerA = Float64Array.from([1000.2, 5002, 1033.4, 5035, 1066.6, 5070, 1100, 5101]);
  const viewerB = Float64Array.from([1000.2, 5004, 1033.4, 5036, 1066.6, 5106]);
  const report = fragmentDelays(arrivals, [viewerA, viewerB]);
  assert.deepEqual(
    report.fragments.map((f) => [f.prftMs, f.medianMs, f.slowestMs]),
    [
      [1000, 4, 4],
      [1033, 3, 3],
      [1067, 40, 40],
    ],
  );
  assert.equal(report.p50, 4);
  assert.equal(report.p99, 40);
  assert.deepEqual(report.beyondP99, []);
  // With many fast samples, the one slow fragment is beyond the p99.
  const fast = Array.from({ length: 200 }, () => Float64Array.from([1000.2, 5001, 1033.4, 5034]));
  const slow = fragmentDelays(arrivals, [...fast, Float64Array.from([1066.6, 5100])]);
  assert.equal(slow.p99, 1);
  assert.deepEqual(slow.beyondP99.map((f) => f.prftMs), [1067]);
});
