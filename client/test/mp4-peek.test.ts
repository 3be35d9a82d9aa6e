import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Fmp4Reader } from '../../server/media/fmp4-reader.ts';
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
