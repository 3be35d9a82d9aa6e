import assert from 'node:assert/strict';
import { test } from 'node:test';
import { afterHandler } from '../http/after-handler.ts';

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

test('work asked for in a handler runs after it returns, in the order asked, and work queued meanwhile waits for the next turn', async () => {
  const ran: string[] = [];
  afterHandler(() => ran.push('a'));
  afterHandler(() => {
    ran.push('b');
    afterHandler(() => ran.push('queued by b'));
  });
  ran.push('handler returns');
  await nextTurn();
  assert.deepEqual(ran, ['handler returns', 'a', 'b']);
  await nextTurn();
  assert.deepEqual(ran.slice(3), ['queued by b'], 'work queued while the queue runs waits for the next turn');
});
