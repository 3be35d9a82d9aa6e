import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Fmp4Reader, type ParsedFragment } from '../../server/media/fmp4-reader.ts';
import { peekFragment } from '../player/mp4-peek.ts';
import { fixture } from '../../test/helpers/fixtures.ts';

test('reads tfdt and prft of real fragments exactly as the server parser does', () => {
  const reader = new Fmp4Reader();
  let checked = 0;
  reader.push(fixture('av.mp4'), (output) => {
    if (output.kind !== 'fragment') return;
    const { bytes, info } = output.fragment;
    const copy = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) as ArrayBuffer;
    const timing = peekFragment(copy)!;
    assert.equal(timing.trackId, info.runs[0]!.trackId);
    assert.equal(timing.baseDecodeTime, info.runs[0]!.baseDecodeTime);
    assert.equal(timing.wallclockMs, info.prft?.wallclockMs);
    assert.equal(timing.prftMediaTime, info.prft?.mediaTime);
    checked++;
  });
  assert.ok(checked > 100);
});

test('returns undefined for a message without a moof, and survives truncation', () => {
  assert.equal(peekFragment(new ArrayBuffer(0)), undefined);
  const bytes = fixture('av.mp4');
  assert.equal(peekFragment(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + 40) as ArrayBuffer), undefined);
});

test('in a run of fragments, reads the first fragment\'s decode time and a prft that holds for the run', () => {
  const fragments: ParsedFragment[] = [];
  new Fmp4Reader().push(fixture('av.mp4'), (output) => {
    if (output.kind === 'fragment' && output.fragment.info.prft && fragments.length < 3) fragments.push(output.fragment);
  });
  const run = Buffer.concat(fragments.map((f) => f.bytes));
  const timing = peekFragment(run.buffer.slice(run.byteOffset, run.byteOffset + run.length) as ArrayBuffer)!;
  assert.equal(timing.baseDecodeTime, fragments[0]!.info.runs[0]!.baseDecodeTime, 'where the run starts on the timeline');
  // Any prft of the run ties its own media time to its wallclock: the last one read is as good an anchor as the first.
  const last = fragments.at(-1)!.info.prft!;
  assert.deepEqual([timing.wallclockMs, timing.prftMediaTime], [last.wallclockMs, last.mediaTime]);
});
