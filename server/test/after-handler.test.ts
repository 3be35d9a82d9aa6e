import assert from 'node:assert/strict';
import { test } from 'node:test';
import pino from 'pino';
import { AfterHandler } from '../http/after-handler.ts';

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

test('work asked for in a handler runs after it returns, in the order asked; work queued meanwhile waits a turn; a failure is logged and the rest runs', async () => {
  const logged: { msg: string; err?: { message: string } }[] = [];
  const logger = pino({ level: 'error' }, { write: (line: string) => logged.push(JSON.parse(line)) });
  const after = new AfterHandler(logger);
  const ran: string[] = [];
  after.run(() => ran.push('a'));
  after.run(() => {
    ran.push('b');
    after.run(() => ran.push('queued by b'));
  });
  after.run(() => {
    throw new Error('boom');
  });
  after.run(() => ran.push('after the failure'));
  ran.push('handler returns');
  await nextTurn();
  assert.deepEqual(ran, ['handler returns', 'a', 'b', 'after the failure']);
  assert.equal(logged.length, 1);
  assert.equal(logged[0]!.err?.message, 'boom');
  await nextTurn();
  assert.deepEqual(ran.slice(4), ['queued by b'], 'work queued while the queue runs waits for the next turn');
});
