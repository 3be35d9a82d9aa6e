import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Backoff } from '../sources/backoff.ts';

test('restart delay doubles from 0.5 s to a 30 s cap', () => {
  const backoff = new Backoff();
  const delays = Array.from({ length: 9 }, () => backoff.next(100));
  assert.deepEqual(delays, [500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
});

test('a run of 30 s or more counts as healthy and resets the delay', () => {
  const backoff = new Backoff();
  backoff.next(100);
  backoff.next(100);
  assert.equal(backoff.next(29_999), 2000);
  assert.equal(backoff.next(30_000), 500);
  assert.equal(backoff.next(10), 1000);
});
