import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { createLogger } from '../logger.ts';
import { startTestServer, streamReady, waitFor } from '../../test/helpers/server.ts';
import { WsViewer } from '../../test/helpers/ws-viewer.ts';

interface Line {
  msg: string;
  module?: string;
  session?: string;
  req?: string;
  bytes?: number;
  durationMs?: number;
}

test('a viewer is logged once at connect and once at disconnect (with bytes and duration), never per fragment; a kick carries the request id', async (t) => {
  const lines: Line[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const text of chunk.toString().split('\n')) if (text) lines.push(JSON.parse(text) as Line);
      done();
    },
  });
  const logger = createLogger({ level: 'info', pretty: false, destination });
  const server = await startTestServer(t, { logger });
  await streamReady(server.registry.get('demo')!);
  const before = lines.length;
  const viewer = new WsViewer(`${server.ws}/streams/demo/ws`);
  await waitFor('100 fragments', () => viewer.binaries.length > 100, 5000);
  const id = [...server.viewers.list()][0]!.id;
  await fetch(`${server.http}/api/sessions/${id}`, { method: 'DELETE', headers: { 'X-Request-Id': 'ops-42' } });
  await viewer.closed;
  await waitFor('the disconnect line', () => lines.some((line) => line.msg === 'viewer disconnected'));
  const about = lines.slice(before).filter((line) => line.session === id);
  assert.deepEqual(about.map((line) => line.msg), ['viewer connected', 'session kicked by an operator', 'viewer disconnected']);
  const gone = about[2]!;
  assert.ok(gone.bytes! > 100_000 && gone.durationMs! > 0, JSON.stringify(gone));
  assert.equal(about[1]!.req, 'ops-42');
  assert.equal(about[1]!.module, 'api');
  // 100+ fragments went out; the log grew by a handful of lines, not one per fragment.
  assert.ok(lines.length - before < 10, `${lines.length - before} lines`);
});
