/**
 * listen.fanout_threads: worker threads take every connection on the port;
 * the main thread decides every request and the threads serve the viewers
 * from their replicas. These tests look from outside, as users do, and at
 * the twins the main thread keeps.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import WebSocket from 'ws';
import { RemoteViewerSession } from '../outputs/remote-session.ts';
import { startConfiguredServer } from '../../test/helpers/config.ts';
import { fixture } from '../../test/helpers/fixtures.ts';
import { errorCode, request } from '../../test/helpers/http.ts';
import { startTestServer, streamReady, waitFor } from '../../test/helpers/server.ts';
import { WsViewer } from '../../test/helpers/ws-viewer.ts';

const KEY = 'fanout-push-key-1';

/** Whether a plain (exclusive) listener can bind the port now. */
function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen({ port, host: '127.0.0.1', exclusive: true }, () => probe.close(() => resolve(true)));
  });
}

test('fan-out threads serve WebSocket and live.mp4 viewers from their replicas; the main thread lists, counts and kicks them', async (t) => {
  const server = await startTestServer(t, { fanoutThreads: 2 });
  const demo = server.registry.get('demo')!;
  await streamReady(demo);

  const viewer = new WsViewer(`${server.ws}/streams/demo/ws`);
  t.after(() => viewer.close());
  await waitFor('fragments across a keyframe', () => viewer.json().filter((m) => m.type === 'keyframe').length >= 2, 8000);
  assert.equal(viewer.json()[0]!.type, 'init');
  assert.equal(viewer.binaries[0]!.toString('latin1', 4, 8), 'ftyp');
  // The stamps carry the origin's sequence numbers: the replica is the stream, not a copy with its own count.
  const stamps = viewer.json().filter((m) => m.type === 'keyframe').map((m) => m.seq as number);
  assert.ok(stamps.every((seq) => seq > 0 && seq <= demo.lastSeq));

  const live = await request(`${server.http}/streams/demo/live.mp4`, { maxBytes: 400_000 });
  assert.equal(live.status, 200);
  assert.equal(live.headers['content-type'], 'video/mp4');
  assert.equal(live.headers['x-content-type-options'], 'nosniff');
  const file = join(tmpdir(), `fragcast-fanout-${process.pid}.mp4`);
  writeFileSync(file, live.body);
  const { stdout } = await promisify(execFile)('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=codec_name', '-of', 'csv=p=0', file]);
  assert.equal(stdout.trim(), 'h264');

  // Every viewer is a thread's: here it is a twin, counted by the limits and the API like any other.
  await waitFor('the live.mp4 viewer to leave', () => server.viewers.size === 1);
  const [twin] = [...server.viewers.list()];
  assert.ok(twin instanceof RemoteViewerSession);
  await waitFor('its counters from the thread', () => twin.bytesSent > 100_000 && twin.fragmentsSent > 10);
  const listed = JSON.parse((await request(`${server.http}/api/sessions`)).body.toString()) as { sessions: { id: string; output: string; bytesSent: number }[] };
  assert.deepEqual(listed.sessions.map((s) => [s.id, s.output]), [[twin.id, 'ws']]);

  const kicked = await request(`${server.http}/api/sessions/${twin.id}`, { method: 'DELETE' });
  assert.equal(kicked.status, 200);
  assert.equal(await viewer.closed, 4403);
  await waitFor('the twin to go', () => server.viewers.size === 0);
});

test('requests through a thread keep their meaning: HEAD, 404 and 405, a body, a WebSocket push and a marker', async (t) => {
  process.env.FANOUT_TEST_KEY = KEY;
  const server = await startConfiguredServer(t, `streams:\n  pushed: { source: { kind: push, key: "\${env:FANOUT_TEST_KEY}" } }\n`, { FANOUT_TEST_KEY: KEY }, { fanoutThreads: 1 });

  const head = await request(`${server.http}/streams/pushed/live.mp4`, { method: 'HEAD' });
  assert.equal(head.status, 200);
  assert.equal(head.headers['content-type'], 'video/mp4');
  assert.equal(head.body.length, 0);
  const missing = await request(`${server.http}/nothing/here`);
  assert.equal(missing.status, 404);
  assert.equal(errorCode(missing), 'NOT_FOUND');
  const wrongMethod = await request(`${server.http}/api/streams`, { method: 'PATCH' });
  assert.equal(wrongMethod.status, 405);
  assert.equal(wrongMethod.headers.allow, 'GET');
  const unauthorized = await request(`${server.http}/ingest/pushed?key=wrong`, { method: 'PUT', body: 'x' });
  assert.equal(errorCode(unauthorized), 'PUBLISH_UNAUTHORIZED');

  // A WebSocket publisher: its messages reach the stream through the main thread's ingest route.
  const publisher = new WebSocket(`${server.ws}/ingest/pushed/ws`, { headers: { authorization: `Bearer ${KEY}` } });
  t.after(() => publisher.terminate());
  await new Promise((resolve, reject) => publisher.once('open', resolve).once('error', reject));
  const media = fixture('av.mp4');
  for (let at = 0; at < media.length; at += 32 * 1024) publisher.send(media.subarray(at, at + 32 * 1024));
  const stream = server.registry.get('pushed')!;
  await streamReady(stream);

  const viewer = new WsViewer(`${server.ws}/streams/pushed/ws`);
  t.after(() => viewer.close());
  await waitFor("the viewer's instant start", () => viewer.binaries.length >= 2);
  // A body through the thread (POST), and the marker it made reaches the thread's viewer through the replica.
  const marker = await request(`${server.http}/api/streams/pushed/markers`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ label: 'goal' }) });
  assert.equal(marker.status, 201);
  await waitFor('the marker at the viewer', () => viewer.json().some((m) => m.type === 'marker' && (m as { label?: string }).label === 'goal'));

  // The publisher's close reaches the source: the next one is let in at once, not refused as a second.
  publisher.close();
  const next = await request(`${server.http}/ingest/pushed?key=${KEY}`, { method: 'PUT', body: media });
  assert.equal(next.status, 204);
});

test('a second fragcast on the threads\' port exits LISTEN_FAILED; closing ends the threads and frees the port', async (t) => {
  const server = await startTestServer(undefined, { fanoutThreads: 2 });
  let closed = false;
  t.after(() => (closed ? undefined : server.close()));
  await assert.rejects(startTestServer(undefined, { port: server.port }), { code: 'LISTEN_FAILED' });
  assert.equal(await portFree(server.port), false);
  await server.close();
  closed = true;
  assert.equal(await portFree(server.port), true);
});

test('viewers that go away while the main thread decides, or just after, leave no twin and no held slot', async (t) => {
  const server = await startTestServer(t, { fanoutThreads: 1 });
  await streamReady(server.registry.get('demo')!);
  const { connect } = await import('node:net');
  const requests = [
    'GET /streams/demo/ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
    'GET /streams/demo/live.mp4 HTTP/1.1\r\nHost: x\r\n\r\n',
  ];
  for (let i = 0; i < 40; i++) {
    const socket = connect(server.port, '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write(requests[i % 2]!);
    // Gone at once, or after 0-4 ms: before the decision, between it and the thread's upgrade or head, or after.
    await new Promise((resolve) => setTimeout(resolve, i % 5));
    socket.destroy();
  }
  await waitFor('every twin to go', () => server.viewers.size === 0 && server.limits.addressesHeld === 0, 5000);
  // And the thread still serves.
  const viewer = new WsViewer(`${server.ws}/streams/demo/ws`);
  t.after(() => viewer.close());
  await waitFor("a new viewer's instant start", () => viewer.binaries.length >= 2);
});
