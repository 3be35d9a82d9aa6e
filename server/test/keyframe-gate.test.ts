import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CLOSE, KeyframeGate, SEND, SKIP } from '../outputs/keyframe-gate.ts';
import { makeFragment } from '../../test/helpers/fragments.ts';

const key = makeFragment({ keyframe: true });
const delta = makeFragment();

test('a new viewer waits for a keyframe without counting skips', () => {
  const gate = new KeyframeGate();
  assert.equal(gate.decide(delta, 0, 0), SKIP);
  assert.equal(gate.decide(delta, 0, 100_000), SKIP, 'a viewer waiting for its first keyframe is not "behind"');
  assert.equal(gate.skippedFragments, 0);
  assert.equal(gate.decide(key, 0, 0), SEND);
  assert.equal(gate.decide(delta, 0, 0), SEND);
});

test('past the buffer bound it skips to the next keyframe, then resumes only once drained', () => {
  const gate = new KeyframeGate({ maxBufferedBytes: 1000, resumeBufferedBytes: 100, maxBehindMs: 10_000 });
  gate.decide(key, 0, 0);
  assert.equal(gate.decide(delta, 1000, 0), SEND, 'at the bound is still fine');
  assert.equal(gate.decide(delta, 1001, 0), SKIP);
  assert.equal(gate.decide(delta, 0, 10), SKIP, 'never a partial GOP after a gap, even once drained');
  assert.equal(gate.decide(key, 500, 20), SKIP, 'a keyframe while still full is skipped too');
  assert.equal(gate.decide(delta, 0, 30), SKIP);
  assert.equal(gate.decide(key, 100, 40), SEND);
  assert.equal(gate.skippedFragments, 4);
  assert.equal(gate.skipEpisodes, 1);
  assert.equal(gate.episodeSkipped, 4);
  assert.equal(gate.behind, false);
});

test('a viewer that stays behind longer than maxBehindMs is closed', () => {
  const gate = new KeyframeGate({ maxBufferedBytes: 1000, resumeBufferedBytes: 100, maxBehindMs: 5000 });
  gate.decide(key, 0, 0);
  assert.equal(gate.decide(delta, 5000, 1000), SKIP);
  assert.equal(gate.decide(key, 5000, 6000), SKIP);
  assert.equal(gate.decide(delta, 5000, 6001), CLOSE);
});

test('waitForKeyframe (a new init) makes the next fragment sent a keyframe', () => {
  const gate = new KeyframeGate();
  gate.decide(key, 0, 0);
  gate.waitForKeyframe();
  assert.equal(gate.decide(delta, 0, 0), SKIP);
  assert.equal(gate.decide(key, 0, 0), SEND);
  assert.equal(gate.skippedFragments, 0);
});
