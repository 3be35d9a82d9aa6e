import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FragcastError } from '../errors.ts';
import { BlockingWaiters } from '../outputs/hls/blocking.ts';
import { checkNotTooFar, parseDirectives, playlistHas, type TimelinePosition } from '../outputs/hls/directives.ts';

const position: TimelinePosition = { lastMsn: 100, lastPart: { msn: 101, index: 2 }, partTarget: 0.2 };

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof FragcastError);
    assert.equal(error.status, 400);
    return error.code;
  }
  return undefined;
}

test('delivery directives are parsed strictly; _HLS_part without _HLS_msn is a 400', () => {
  assert.deepEqual(parseDirectives(''), { msn: undefined, part: undefined, skip: false });
  assert.deepEqual(parseDirectives('_HLS_msn=101&_HLS_part=3&_HLS_skip=YES&cdn=1'), { msn: 101, part: 3, skip: true });
  assert.deepEqual(parseDirectives('_HLS_skip=v2'), { msn: undefined, part: undefined, skip: true });
  for (const query of ['_HLS_part=1', '_HLS_msn=-1', '_HLS_msn=1.5', '_HLS_msn=', '_HLS_msn=1e3', '_HLS_msn=1&_HLS_msn=2', '_HLS_skip=NO', '_HLS_msn=1234567890123456']) {
    assert.equal(code(() => parseDirectives(query)), 'HLS_DIRECTIVE_INVALID', query);
  }
});

test('requests more than two segments or the Advance Part Limit ahead are a 400 at once', () => {
  const ok = (query: string): void => assert.equal(code(() => checkNotTooFar(parseDirectives(query), position)), undefined, query);
  const far = (query: string): void => assert.equal(code(() => checkNotTooFar(parseDirectives(query), position)), 'HLS_DIRECTIVE_TOO_FAR', query);
  ok('_HLS_msn=102');
  far('_HLS_msn=103');
  // 3 s of 0.2 s parts: 15 parts past part 2 of segment 101.
  ok('_HLS_msn=101&_HLS_part=17');
  far('_HLS_msn=101&_HLS_part=18');
  ok('_HLS_msn=102&_HLS_part=14');
  far('_HLS_msn=102&_HLS_part=15');
  ok('_HLS_msn=5&_HLS_part=900');
  // With 1.5 s parts the limit is three parts.
  assert.equal(code(() => checkNotTooFar(parseDirectives('_HLS_msn=101&_HLS_part=6'), { ...position, partTarget: 1.5 })), 'HLS_DIRECTIVE_TOO_FAR');
});

test('a blocking request is satisfied by its segment or part, or anything later; a part past the last of its segment means the next segment', () => {
  const has = (query: string): boolean => playlistHas(parseDirectives(query), position);
  assert.equal(has(''), true);
  assert.equal(has('_HLS_msn=100'), true);
  assert.equal(has('_HLS_msn=101'), false, 'segment 101 is still open');
  assert.equal(has('_HLS_msn=101&_HLS_part=2'), true);
  assert.equal(has('_HLS_msn=101&_HLS_part=3'), false);
  assert.equal(has('_HLS_msn=100&_HLS_part=9'), true, 'past the last part of 100: part 0 of 101, which exists');
  assert.equal(has('_HLS_msn=50&_HLS_part=0'), true, 'older than the window: the whole playlist at once');
});

test('parked requests share a bucket per condition and are answered on the update that satisfies it', () => {
  const waiters = new BlockingWaiters();
  let published = 0;
  const answered: number[] = [];
  for (let i = 0; i < 1000; i++) {
    waiters.park('part 3', () => published >= 3, 10_000, { ready: () => answered.push(i), expired: () => assert.fail('expired') });
  }
  const cancel = waiters.park('part 3', () => published >= 3, 10_000, { ready: () => assert.fail('cancelled one answered'), expired: () => assert.fail('expired') });
  cancel();
  assert.equal(waiters.size, 1000);
  published = 2;
  waiters.update();
  assert.equal(answered.length, 0);
  published = 3;
  waiters.update();
  assert.equal(answered.length, 1000);
  assert.equal(waiters.size, 0);
  waiters.expireAll();
});

test('a parked request is answered by its deadline, by one timer for all, oldest first', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'] });
  const waiters = new BlockingWaiters();
  const events: string[] = [];
  const park = (name: string): (() => void) => waiters.park(`k${name}`, () => false, 6000, { ready: () => events.push(`${name} ready`), expired: () => events.push(`${name} expired`) });
  park('a');
  t.mock.timers.tick(1000);
  const cancelB = park('b');
  t.mock.timers.tick(1000);
  park('c');
  cancelB();
  t.mock.timers.tick(4000);
  assert.deepEqual(events, ['a expired']);
  t.mock.timers.tick(2000);
  assert.deepEqual(events, ['a expired', 'c expired']);
  assert.equal(waiters.size, 0);
});
