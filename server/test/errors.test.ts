import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { ERRORS, FragcastError } from '../errors.ts';
import { ROOT } from '../../test/helpers/fixtures.ts';

test('docs/errors.md lists exactly the registry codes, each with its status', () => {
  const doc = readFileSync(`${ROOT}docs/errors.md`, 'utf8');
  const documented = new Map<string, number>();
  for (const match of doc.matchAll(/^\| `([A-Z0-9_]+)` \| (\d+) \|/gm)) {
    assert.ok(!documented.has(match[1]!), `${match[1]} is documented twice`);
    documented.set(match[1]!, Number(match[2]));
  }
  const registry = new Map(Object.entries(ERRORS).map(([code, spec]) => [code, spec.status as number]));
  assert.deepEqual([...documented.keys()].sort(), [...registry.keys()].sort());
  for (const [code, status] of registry) assert.equal(documented.get(code), status, `${code} status`);
});

test('errors fill their templates and serialize to the one JSON shape', () => {
  const error = new FragcastError('STREAM_NOT_FOUND', { stream: 'cam9' });
  assert.equal(error.status, 404);
  assert.deepEqual(JSON.parse(JSON.stringify(error)), { error: { code: 'STREAM_NOT_FOUND', message: 'Stream "cam9" does not exist' } });
  assert.ok(!Object.values(ERRORS).some((spec) => spec.message.length === 0));
});
