import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runFuzz } from '../../test/fuzz/reader-fuzz.ts';

test('fuzzed fMP4 input only ever fails through the reader error path, fast and bounded', () => {
  // Seed 1 includes iteration 372, a moov with a forged table count that once cost 7 s of CPU in mp4box.
  for (const seed of [1, Date.now() % 1e9]) {
    const report = runFuzz({ iterations: 1500, seed });
    assert.deepEqual(report.findings, [], `seed ${seed}: ${JSON.stringify(report.findings.slice(0, 3))}`);
    assert.ok(Object.keys(report.rejectedByCode).length >= 5, 'the mutations reach many kinds of error');
    assert.ok(report.accepted > 0, 'some mutations keep the stream valid and parse through');
    assert.ok(report.slowestMs < 1000, `slowest input took ${report.slowestMs} ms`);
    assert.ok(report.peakPendingBytes < 1024 * 1024, `peak buffered ${report.peakPendingBytes} bytes`);
  }
});
