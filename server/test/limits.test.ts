import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { after, before, test } from 'node:test';
import { CloseCodes } from '../protocol.ts';
import { startConfiguredServer } from '../../test/helpers/config.ts';
import { fixture, loopSourcePath } from '../../test/helpers/fixtures.ts';
import { errorCode, request, type RawResponse } from '../../test/helpers/http.ts';
import { streamReady, waitFor, type TestServer } from '../../test/helpers/server.ts';
import { WsViewer } from '../../test/helpers/ws-viewer.ts';

const PUSH_KEY = 'studio-key-for-tests';
let server: TestServer;

before(async () => {
  const loop = (readrate: string): string => `{ kind: ffmpeg, input: "${loopSourcePath()}", loop: true, codecs: copy, input_options: [-readrate, "${readrate}"], realtime: false }`;
  server = await startConfiguredServer(
    undefined as never,
    `
limits: { viewers: 4, viewers_per_ip: 3, header_size: 8KiB, body_timeout: 1s, viewer_messages: 5 }
streams:
  busy: { source: ${loop('1')}, viewers: { max: 2 } }
  fast: { source: ${loop('4')}, viewers: { max_buffered: 64KiB, resume_buffered: 16KiB, max_behind: 1s } }
  studio: { source: { kind: push, key: ${PUSH_KEY}, max_bitrate: 100k, allow: [127.0.0.1/32] } }
`,
  );
  await Promise.all(['busy', 'fast'].map((name) => streamReady(server.registry.get(name)!, 15_000)));
});
after(() => server.close());

const get = (path: string, options: Parameters<typeof request>[1] = {}): Promise<RawResponse> => request(`${server.http}${path}`, { maxBytes: 1, ...options });

test('viewer caps: per stream and per server 503 with Retry-After, per address 429; slots come back when viewers leave', async () => {
  const open: WsViewer[] = [];
  const connect = async (stream: string): Promise<WsViewer> => {
    const viewer = new WsViewer(`${server.ws}/streams/${stream}/ws`);
    await viewer.opened;
    open.push(viewer);
    return viewer;
  };
  await connect('busy');
  await connect('busy');
  const third = await get('/streams/busy/live.mp4');
  assert.equal(third.status, 503);
  assert.equal(errorCode(third), 'STREAM_VIEWER_LIMIT');
  assert.equal(third.headers['retry-after'], '10');
  await assert.rejects(new WsViewer(`${server.ws}/streams/busy/ws`).opened, /HTTP 503/);

  await connect('fast');
  const overAddress = await get('/streams/fast/live.mp4');
  assert.equal(overAddress.status, 429);
  assert.equal(errorCode(overAddress), 'TOO_MANY_CONNECTIONS');
  assert.equal(overAddress.headers['retry-after'], '5');
  // Another client address is not held to this one's limit, only to the server's.
  const fromOther = http.get(`${server.http}/streams/fast/live.mp4`, { localAddress: '127.0.0.2', agent: false });
  const otherResponse = await new Promise<http.IncomingMessage>((resolve) => fromOther.once('response', resolve));
  assert.equal(otherResponse.statusCode, 200);
  await waitFor('4 viewers', () => server.viewers.size === 4);
  const overServer = await get('/streams/fast/live.mp4', { localAddress: '127.0.0.3' });
  assert.equal(errorCode(overServer), 'SERVER_VIEWER_LIMIT');
  assert.equal(overServer.status, 503);

  fromOther.destroy();
  for (const viewer of open) viewer.close();
  await waitFor('every viewer gone', () => server.viewers.size === 0 && server.limits.addressesHeld === 0);
  const again = new WsViewer(`${server.ws}/streams/busy/ws`);
  await again.opened;
  again.close();
});

test('oversized headers get 431 in the JSON shape; a dribbled JSON body 408; a WebSocket viewer flooding control messages 4429', async () => {
  const big = await get('/healthz', { headers: { 'X-Padding': 'a'.repeat(20_000) } });
  assert.equal(big.status, 431);
  assert.equal(errorCode(big), 'HEADERS_TOO_LARGE');
  assert.equal((await get('/healthz', { headers: { 'X-Padding': 'a'.repeat(4000) } })).status, 200);

  const started = Date.now();
  const dribble = await new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = http.request(`${server.http}/api/streams/busy/markers`, { method: 'POST', headers: { 'Content-Type': 'application/json', 'Content-Length': '100' }, agent: false }, (res) => {
      let body = '';
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
    req.on('error', reject);
    req.write('{"label": "');
    const drip = setInterval(() => req.write('a'), 200);
    req.on('close', () => clearInterval(drip));
  });
  assert.equal(dribble.status, 408);
  assert.match(dribble.body, /REQUEST_TIMEOUT/);
  assert.ok(Date.now() - started < 4000, `answered after ${Date.now() - started} ms`);

  const flooder = new WsViewer(`${server.ws}/streams/busy/ws`);
  const calm = new WsViewer(`${server.ws}/streams/busy/ws`);
  await Promise.all([flooder.opened, calm.opened]);
  for (let i = 0; i < 100; i++) flooder.socket.send(JSON.stringify({ type: 'ping', id: i }));
  assert.equal(await flooder.closed, CloseCodes.TOO_MANY_MESSAGES);
  const before = calm.binaries.length;
  await waitFor('the calm viewer to keep receiving', () => calm.binaries.length > before + 5);
  calm.close();
});

test('a viewer that never reads is cut off by its gate, not kept forever', async () => {
  const socket = net.connect({ host: '127.0.0.1', port: server.port });
  await new Promise((resolve) => socket.once('connect', resolve));
  socket.write('GET /streams/fast/live.mp4 HTTP/1.1\r\nHost: x\r\n\r\n');
  // Never read: the kernel's buffers fill, then uWS's, then the gate skips, then max_behind (1 s) ends the session.
  socket.pause();
  await waitFor('the session to open', () => server.viewers.size === 1);
  const session = [...server.viewers.list()][0]!;
  const reason = await new Promise<string>((resolve) => session.once('close', resolve));
  assert.equal(reason, 'VIEWER_TOO_SLOW');
  assert.ok(session.gate.skippedFragments > 0);
  assert.equal(server.limits.addressesHeld, 0, 'its connection slot is free');
  // The server closed its end: reading what was queued leads to the end of the stream.
  const closed = new Promise((resolve) => socket.once('close', resolve));
  socket.resume();
  await closed;
});

test('push ingest: a publisher far over max_bitrate is cut off (429), the allow-list refuses other addresses (403)', async () => {
  const body = fixture('av.mp4');
  const push = (localAddress: string): Promise<RawResponse> =>
    request(`${server.http}/ingest/studio`, { method: 'PUT', headers: { Authorization: `Bearer ${PUSH_KEY}`, 'Content-Type': 'video/mp4' }, body, localAddress, maxBytes: Infinity });
  const refused = await push('127.0.0.2');
  assert.equal(refused.status, 403);
  assert.equal(errorCode(refused), 'IP_NOT_ALLOWED');
  assert.ok(body.length * 8 > 100_000 * 5, `the fixture (${body.length} bytes) is over the 5 s allowance`);
  const cut = await push('127.0.0.1');
  assert.equal(cut.status, 429, cut.body.toString());
  assert.equal(errorCode(cut), 'PUBLISHER_BITRATE_EXCEEDED');
  const entry = server.registry.entry('studio')!;
  await waitFor('the source to be free again', () => entry.source.state === 'idle');
  assert.match(String(entry.source.lastExit?.reason), /max_bitrate/);
});
