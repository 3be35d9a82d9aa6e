import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GopCache } from '../streams/gop-cache.ts';
import { makeFragment, makeGops } from '../../test/helpers/fragments.ts';

test('caches nothing before the first keyframe', () => {
  const cache = new GopCache();
  cache.push(makeFragment());
  cache.push(makeFragment());
  assert.equal(cache.gopCount, 0);
  assert.equal(cache.bytes, 0);
  assert.equal(cache.newest, undefined);
});

test('the newest GOP starts with a keyframe and holds everything after it', () => {
  const cache = new GopCache();
  for (const f of makeGops(3, 30)) cache.push(f);
  assert.equal(cache.gopCount, 3);
  assert.equal(cache.newest!.fragments.length, 30);
  assert.equal(cache.newest!.first.keyframe, true);
  assert.equal(cache.lastComplete!.fragments.length, 30);
});

test('bounds time: drops old GOPs while the rest covers maxSeconds, keeping at least minGops', () => {
  const cache = new GopCache({ maxSeconds: 2.5, minGops: 1 });
  for (const f of makeGops(10, 30)) cache.push(f); // 1 s GOPs
  assert.equal(cache.gopCount, 3, 'the fewest GOPs that still cover 2.5 s');
  assert.ok(Math.abs(cache.duration - 3) < 1e-6);
  const long = new GopCache({ maxSeconds: 0.5, minGops: 2 });
  for (const f of makeGops(5, 30)) long.push(f);
  assert.equal(long.gopCount, 2, 'minGops wins over a short time window');
});

test('bounds bytes hard, even below minGops', () => {
  const cache = new GopCache({ maxBytes: 100_000, minGops: 2, maxSeconds: 60 });
  for (const f of makeGops(6, 30, { bytes: 1000 })) cache.push(f); // 30 kB per GOP
  assert.ok(cache.bytes <= 100_000);
  assert.equal(cache.gopCount, 3);
  const big = new GopCache({ maxBytes: 50_000, minGops: 2 });
  for (const f of makeGops(3, 30, { bytes: 1000 })) big.push(f);
  assert.equal(big.gopCount, 1, 'only the newest GOP fits');
});

test('a GOP that outgrows maxBytes is dropped and caching waits for the next keyframe', () => {
  const cache = new GopCache({ maxBytes: 10_000 });
  for (const f of makeGops(1, 30, { bytes: 1000 })) cache.push(f);
  assert.equal(cache.bytes, 0, 'the oversized GOP was dropped whole');
  assert.equal(cache.newest, undefined, 'no partial GOP is offered to new viewers');
  assert.equal(cache.overflows, 1);
  cache.push(makeFragment({ bytes: 1000 }));
  assert.equal(cache.bytes, 0, 'non-keyframes are not cached until a keyframe');
  cache.push(makeFragment({ keyframe: true, bytes: 1000 }));
  assert.equal(cache.gopCount, 1);
  assert.equal(cache.bytes, 1000);
});

test('memory stays bounded whatever the input does', () => {
  const cache = new GopCache({ maxBytes: 1_000_000 });
  for (let i = 0; i < 20_000; i++) {
    cache.push(makeFragment({ keyframe: Math.random() < 0.02, bytes: 1 + Math.floor(Math.random() * 20_000), duration: Math.random() * 0.1 }));
    assert.ok(cache.bytes <= 1_000_000);
  }
});
