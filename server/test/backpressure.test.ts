import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { test, type TestContext } from 'node:test';
import { addLoopStream, startTestServer, streamReady, waitFor, type TestServer } from '../../test/helpers/server.ts';
import { WsViewer } from '../../test/helpers/ws-viewer.ts';

/** A raw client that upgrades (or GETs) and then never reads: the kernel buffers fill and the server's buffer grows. */
function stalledClient(port: number, request: string): Promise<Socket> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(request);
      socket.once('data', () => {
        socket.pause();
        resolve(socket);
      });
    });
  });
}

/** A server with a tight gate and a stream at 40× real time of a ~1.5 Mbit/s file: a stalled socket's kernel buffers fill within a second or two. */
async function fastStreamServer(t: TestContext): Promise<TestServer> {
  const server = await startTestServer(t, {
    demo: false,
    gate: { maxBufferedBytes: 256 * 1024, resumeBufferedBytes: 64 * 1024, maxBehindMs: 2000 },
  });
  await streamReady(addLoopStream(server, 'fast', 40));
  return server;
}

const WS_UPGRADE = (path: string): string =>
  `GET ${path} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`;

test('a viewer that stops reading skips to keyframes, is closed when it stays behind, and costs the healthy viewer nothing', async (t) => {
  const server = await fastStreamServer(t);
  const stream = server.registry.get('fast')!;
  const healthy = new WsViewer(`${server.ws}/streams/fast/ws`);
  await healthy.opened;
  const stalled = await stalledClient(server.port, WS_UPGRADE('/streams/fast/ws'));
  t.after(() => stalled.destroy());
  const [, session] = [...server.viewers.list()].filter((s) => s.stream === stream);
  assert.ok(session, 'the stalled viewer has a session');

  await waitFor('the stalled viewer to skip', () => session.gate.skippedFragments > 0, 8000);
  assert.ok(session.gate.skipEpisodes >= 1);
  await waitFor('the stalled viewer to be closed as too slow', () => session.closed, 8000);

  const healthySession = [...server.viewers.list()].find((s) => s.stream === stream)!;
  assert.equal(healthySession.gate.skippedFragments, 0, 'the healthy viewer lost nothing');
  assert.ok(!healthy.json().some((m) => m.type === 'skip'));
  assert.ok(healthySession.fragmentsSent > 500, `healthy viewer got ${healthySession.fragmentsSent} fragments`);
  healthy.close();
});

test('a chunked MP4 viewer that stops reading skips to keyframes with the same policy', async (t) => {
  const server = await fastStreamServer(t);
  const stalled = await stalledClient(server.port, 'GET /streams/fast/live.mp4 HTTP/1.1\r\nHost: x\r\n\r\n');
  t.after(() => stalled.destroy());
  const session = await waitFor('the session', () => [...server.viewers.list()].find((s) => s.output === 'http-mp4'));
  await waitFor('the stalled chunked viewer to skip', () => session.gate.skippedFragments > 0, 8000);
  await waitFor('the stalled chunked viewer to be dropped', () => session.closed, 8000);
  assert.equal(server.viewers.size, 0);
});
