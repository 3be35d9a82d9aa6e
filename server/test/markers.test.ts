import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FragcastError } from '../errors.ts';
import { describeMarker, MarkerStore, parseMarkerInput } from '../streams/markers.ts';

const now = Date.parse('2024-05-01T12:00:00.000Z');

function why(body: unknown): string {
  try {
    parseMarkerInput(body, now);
  } catch (error) {
    assert.ok(error instanceof FragcastError);
    assert.equal(error.code, 'MARKER_INVALID');
    return error.message;
  }
  return 'accepted';
}

test('a marker body is a label and an optional RFC 3339 time; everything else is refused with the reason', () => {
  assert.deepEqual(parseMarkerInput({ label: '  goal  ' }, now), { label: 'goal', timeMs: undefined });
  assert.deepEqual(parseMarkerInput({ label: 'kick-off', time: '2024-05-01T11:59:30+02:00' }, now), { label: 'kick-off', timeMs: Date.parse('2024-05-01T09:59:30Z') });
  assert.match(why([]), /JSON object/);
  assert.match(why(null), /JSON object/);
  assert.match(why({ label: 'x', extra: 1 }), /unknown field "extra"/);
  assert.match(why({}), /"label" must be a string/);
  assert.match(why({ label: '   ' }), /empty/);
  assert.match(why({ label: 'é'.repeat(201) }), /201 characters/);
  assert.equal(why({ label: '😀'.repeat(200) }), 'accepted', 'characters are code points');
  assert.match(why({ label: 'say "hi"' }), /double quote/);
  assert.match(why({ label: 'two\nlines' }), /control character/);
  assert.match(why({ label: 'x', time: 1714564800000 }), /RFC 3339/);
  assert.match(why({ label: 'x', time: '2024-05-01 12:00:00' }), /RFC 3339/);
  assert.match(why({ label: 'x', time: '2024-05-01T12:00:00' }), /RFC 3339/, 'a zone is required');
  assert.match(why({ label: 'x', time: '2024-02-31T12:00:00Z' }), /not a real date/);
  assert.match(why({ label: 'x', time: '2024-05-01T24:00:00Z' }), /not a real date/);
  assert.match(why({ label: 'x', time: '2024-05-03T12:00:00Z' }), /24 h/);
});

test('the store keeps the newest markers up to its bound, with ids that are never reused', () => {
  const store = new MarkerStore({ maxCount: 3 });
  const ids = new Set<string>();
  for (let i = 0; i < 5; i++) ids.add(store.add({ label: `m${i}`, timeMs: undefined }, now).id);
  assert.equal(ids.size, 5);
  assert.deepEqual(store.list().map((marker) => marker.label), ['m2', 'm3', 'm4']);
  assert.deepEqual(describeMarker(store.list()[0]!), { id: store.list()[0]!.id, label: 'm2', time: '2024-05-01T12:00:00.000Z' });
  assert.notEqual(new MarkerStore().add({ label: 'a', timeMs: undefined }).id.split('-')[0], undefined);
});
