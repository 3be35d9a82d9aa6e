import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { promisify } from 'node:util';
import { test, type TestContext } from 'node:test';
import pino from 'pino';
import WebSocket from 'ws';
import type { FfmpegSource } from '../sources/ffmpeg-source.ts';
import type { PushSource } from '../sources/push-source.ts';
import type { Stream } from '../streams/stream.ts';
import { commandLine, startConfiguredServer, startPusher } from '../../test/helpers/config.ts';
import { fixture, loopSourcePath } from '../../test/helpers/fixtures.ts';
import { streamReady, waitFor } from '../../test/helpers/server.ts';
import { WsViewer } from '../../test/helpers/ws-viewer.ts';

const KEY = 'push-key-for-tests';

/** The video track ffprobe finds in a stream's live.mp4 (async: the server runs in this process). */
async function probeLive(url: string): Promise<{ codec: string; width: number; height: number }> {
  const { stdout: out } = await promisify(execFile)('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=codec_name,width,height', '-of', 'json', '-read_intervals', '%+1', url], {
    encoding: 'utf8',
    timeout: 10_000,
  });
  const [stream] = (JSON.parse(out) as { streams: { codec_name: string; width: number; height: number }[] }).streams;
  return { codec: stream!.codec_name, width: stream!.width, height: stream!.height };
}

/**
 * A raw HTTP publisher of `name` that announced all of `bytes` and sent half, left open; then a viewer of the
 * stream, once it has its instant start. The socket and the viewer end with the test.
 */
async function halfSentPublisher(t: TestContext, server: { port: number; ws: string }, stream: Stream, name: string, bytes: Buffer): Promise<{ socket: Socket; viewer: WsViewer }> {
  const socket = connect(server.port, '127.0.0.1');
  t.after(() => socket.destroy());
  socket.write(`PUT /ingest/${name} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${KEY}\r\nContent-Length: ${bytes.length}\r\n\r\n`);
  socket.write(bytes.subarray(0, bytes.length >> 1));
  await waitFor('fragments of the first half', () => stream.stats.fragmentsIn > 10);
  const viewer = new WsViewer(`${server.ws}/streams/${name}/ws`);
  t.after(() => viewer.close());
  await waitFor("the viewer's instant start", () => viewer.binaries.length >= 2);
  return { socket, viewer };
}

test('a pulled file (ffprobed, then copied) and a variant fed from its fragments, in one file', async (t) => {
  const server = await startConfiguredServer(
    t,
    `
streams:
  file:
    source: { kind: ffmpeg, input: "${loopSourcePath()}", loop: true }
  small:
    source: { kind: variant, from: file, transcode: { height: 120, video_bitrate: 150k, preset: ultrafast } }
`,
  );
  const file = server.registry.entry('file')!;
  await streamReady(file.stream);
  // codecs: auto saw H.264 4:2:0 and chose -c:v copy: the camera-friendly path.
  const argv = commandLine((file.source as FfmpegSource).pid!);
  assert.deepEqual(argv.slice(argv.indexOf('-c:v'), argv.indexOf('-c:v') + 2), ['-c:v', 'copy']);
  assert.ok(argv.includes('-re') && argv.includes('-stream_loop'), 'a file is read in real time, looped');
  assert.deepEqual(await probeLive(`${server.http}/streams/file/live.mp4`), { codec: 'h264', width: 320, height: 240 });

  const small = server.registry.get('small')!;
  await streamReady(small, 10_000);
  assert.equal(small.init!.info.tracks[0]!.height, 120);
  assert.ok(file.stream.demand >= 1, 'the variant holds its parent');
  assert.deepEqual(await probeLive(`${server.http}/streams/small/live.mp4`), { codec: 'h264', width: 160, height: 120 });
  // Keyframes follow the parent's (1 s GOPs): the renditions switch at the same points.
  const gop = await waitFor('a complete GOP of the variant', () => small.cache.lastComplete, 5000);
  assert.ok(Math.abs(gop.duration - 1) < 0.1, `variant GOP ${gop.duration} s`);
});

test('push: ffmpeg -method PUT publishes; wrong key 401, second publisher 409 without takeover; a dropped publisher leaves the cache and the next one continues the stream', async (t) => {
  const server = await startConfiguredServer(
    t,
    `
streams:
  pushed: { source: { kind: push, key: "\${env:KEY}", takeover: false } }
  pulled: { source: { kind: demo, width: 160, height: 120, fps: 10, video_bitrate: 100k } }
`,
    { KEY },
  );
  const entry = server.registry.entry('pushed')!;
  assert.equal(entry.source.state, 'idle');
  const url = `${server.http}/ingest/pushed`;
  const first = startPusher(t, url, loopSourcePath(), { key: KEY, loop: true });
  await streamReady(entry.stream);
  const viewer = new WsViewer(`${server.ws}/streams/pushed/ws`);
  t.after(() => viewer.close());
  await waitFor('the viewer to get fragments', () => viewer.binaries.length > 5);

  const put = (path: string, headers: Record<string, string> = {}): Promise<Response> => fetch(`${server.http}${path}`, { method: 'PUT', headers, body: new Uint8Array(fixture('video-only.mp4')) });
  const wrongKey = await put('/ingest/pushed?key=not-the-key');
  assert.equal(wrongKey.status, 401);
  assert.equal(((await wrongKey.json()) as { error: { code: string } }).error.code, 'PUBLISH_UNAUTHORIZED');
  const second = await put('/ingest/pushed', { authorization: `Bearer ${KEY}` });
  assert.equal(second.status, 409);
  assert.equal(((await second.json()) as { error: { code: string } }).error.code, 'PUBLISHER_CONFLICT');
  assert.equal((await put('/ingest/pulled?key=x')).status, 404, 'a pulled stream takes no pushes');
  assert.equal((await put('/ingest/nobody?key=x')).status, 404);

  first.child.kill('SIGKILL');
  await waitFor('the publisher to be gone', () => entry.source.state === 'idle', 5000);
  assert.ok(entry.stream.init && entry.stream.cache.gopCount > 0, 'the cache outlives the publisher');
  assert.equal(viewer.closeCode, undefined, 'viewers see a stall, not an error');

  // The next publisher (a plain fetch PUT of a whole fMP4 file, key in the query) continues the same stream.
  const next = await put(`/ingest/pushed?key=${KEY}`);
  assert.equal(next.status, 204);
  assert.equal(entry.stream.init!.generation, 2);
  await waitFor('generation 2 to reach the same viewer', () => viewer.json().some((m) => m.type === 'init' && m.generation === 2));
  assert.equal(viewer.closeCode, undefined);

  // Garbage instead of fMP4: the publisher is refused with the media error; the stream and its viewer go on.
  const garbage = await fetch(`${url}?key=${KEY}`, { method: 'PUT', body: new Uint8Array(64 * 1024).fill(0x41) });
  assert.equal(garbage.status, 422);
  assert.equal(((await garbage.json()) as { error: { code: string } }).error.code, 'PUBLISHER_MEDIA_INVALID');
  assert.equal(entry.stream.init!.generation, 2);
  assert.equal(entry.source.state, 'idle', 'the stream is free for the next publisher');
  assert.equal(viewer.closeCode, undefined);
});

test('push over WebSocket: bytes cut anywhere become the stream; the key is checked before the upgrade', async (t) => {
  const server = await startConfiguredServer(t, `streams: { ws-pushed: { source: { kind: push, key: "${KEY}", idle_timeout: 1s } } }`);
  const refused = await new Promise<number>((resolve) => {
    const socket = new WebSocket(`${server.ws}/ingest/ws-pushed/ws?key=wrong`);
    socket.on('unexpected-response', (_req, res) => resolve(res.statusCode!));
    socket.on('error', () => {});
  });
  assert.equal(refused, 401);

  const publisher = new WebSocket(`${server.ws}/ingest/ws-pushed/ws`, { headers: { authorization: `Bearer ${KEY}` } });
  await new Promise((resolve) => publisher.once('open', resolve));
  const bytes = fixture('av.mp4');
  for (let at = 0; at < bytes.length; at += 777) publisher.send(bytes.subarray(at, at + 777));
  const stream = server.registry.get('ws-pushed')!;
  await waitFor('the pushed fragments', () => stream.stats.fragmentsIn > 100);
  assert.equal(stream.init!.info.mime, 'video/mp4; codecs="avc1.42c00d,mp4a.40.2"');
  assert.equal(stream.stats.inputErrors, 0);
  // Silent for idle_timeout: dropped with close code 4000 + 408, freeing the stream.
  const code = await new Promise<number>((resolve) => publisher.once('close', resolve));
  assert.equal(code, 4408);
});

test('push takeover: a new publisher with the key replaces one whose connection is still open (HTTP and WebSocket); the replaced one is told 409, the viewer goes on', async (t) => {
  const server = await startConfiguredServer(t, `streams: { live: { source: { kind: push, key: "${KEY}" } } }`);
  const entry = server.registry.entry('live')!;
  const stream = entry.stream;
  const bytes = fixture('av.mp4');

  // An HTTP publisher whose connection stays open mid-body, as one that died without a close looks to the server.
  const { socket: stale, viewer } = await halfSentPublisher(t, server, stream, 'live', bytes);
  let staleAnswer = '';
  stale.on('data', (chunk) => (staleAnswer += chunk.toString('latin1')));

  // A WebSocket publisher with the key takes over at once; the stale one is answered 409 PUBLISHER_REPLACED.
  const fresh = new WebSocket(`${server.ws}/ingest/live/ws`, { headers: { authorization: `Bearer ${KEY}` } });
  await new Promise((resolve) => fresh.once('open', resolve));
  await waitFor('the stale publisher to be answered', () => /\r\n\r\n.*\}/s.exec(staleAnswer));
  assert.match(staleAnswer, /^HTTP\/1\.1 409 /);
  assert.match(staleAnswer, /"code":"PUBLISHER_REPLACED"/);
  const freshClosed = new Promise<[number, string]>((resolve) => fresh.once('close', (code, reason) => resolve([code, reason.toString()])));
  for (let at = 0; at < bytes.length; at += 4000) fresh.send(bytes.subarray(at, at + 4000));
  await waitFor('generation 2 at the viewer', () => viewer.json().some((m) => m.type === 'init' && m.generation === 2));

  // Another HTTP publisher takes over from the WebSocket one, which is closed 4409, and its whole body becomes generation 3.
  const next = await fetch(`${server.http}/ingest/live?key=${KEY}`, { method: 'PUT', body: new Uint8Array(bytes) });
  assert.equal(next.status, 204);
  const [code, reason] = await freshClosed;
  assert.equal(code, 4409);
  assert.match(reason, /took this one's place/);
  assert.equal(stream.init!.generation, 3);
  await waitFor('generation 3 at the viewer', () => viewer.json().some((m) => m.type === 'init' && m.generation === 3));
  assert.equal(viewer.closeCode, undefined, 'the viewer went on through both takeovers');
  assert.equal(entry.source.lastExit?.reason, 'publisher ended');
});

test('push: a publisher that breaks off mid-body, or sends bad media and closes in the same breath, frees the stream; its viewer and the next publisher go on', async (t) => {
  // What the server logs as an error: the two media errors the publishers cause, and nothing of its own.
  const errors: { code?: string; msg: string }[] = [];
  const logger = pino({ level: 'error' }, { write: (line: string) => void errors.push(JSON.parse(line) as { code?: string; msg: string }) });
  const server = await startConfiguredServer(t, `streams: { cut: { source: { kind: push, key: "${KEY}" } } }`, {}, { logger });
  const entry = server.registry.entry('cut')!;
  const stream = entry.stream;
  const bytes = fixture('av.mp4');

  // HTTP: a body announced whole, half of it sent, then the connection dropped.
  const { socket, viewer } = await halfSentPublisher(t, server, stream, 'cut', bytes);
  socket.destroy();
  await waitFor('the cut publisher to be gone', () => entry.source.state === 'idle' && !(entry.source as PushSource).publishing);
  assert.equal(entry.source.lastExit?.reason, 'publisher ended');
  assert.equal(stream.stats.inputErrors, 1, 'the box left half-sent counts as one input error');
  assert.equal(viewer.closeCode, undefined, 'the viewer sees a stall, not an error');

  // WebSocket: garbage and the close frame back to back, which the server reads in one turn: the bad media is found
  // after uWS has closed the socket, and kicking the publisher must not touch it (without that check this test fails).
  const garbler = new WebSocket(`${server.ws}/ingest/cut/ws`, { headers: { authorization: `Bearer ${KEY}` } });
  await new Promise((resolve) => garbler.once('open', resolve));
  garbler.send(Buffer.alloc(4096, 0x41));
  garbler.close(1000);
  await new Promise((resolve) => garbler.once('close', resolve));
  await waitFor('the garbage counted and the publisher gone', () => stream.stats.inputErrors === 2 && entry.source.state === 'idle');

  // The stream is free: a whole file pushed next is its generation 2, and the same viewer gets it.
  const next = await fetch(`${server.http}/ingest/cut?key=${KEY}`, { method: 'PUT', body: new Uint8Array(bytes) });
  assert.equal(next.status, 204);
  assert.equal(stream.init!.generation, 2);
  await waitFor('generation 2 at the viewer', () => viewer.json().some((m) => m.type === 'init' && m.generation === 2));
  assert.equal(viewer.closeCode, undefined);
  assert.deepEqual(
    errors.map((e) => e.code ?? e.msg),
    ['MEDIA_TRUNCATED', 'MEDIA_BOX_TOO_LARGE'],
  );
});

test('on demand: nothing runs without viewers; the first viewer waits for the first keyframe; the source stops after the last leaves', async (t) => {
  const server = await startConfiguredServer(
    t,
    `
streams:
  lazy:
    source: { kind: ffmpeg, format: lavfi, input: "testsrc2=size=160x120:rate=15", codecs: transcode, transcode: { preset: ultrafast, video_bitrate: 100k } }
    on_demand: true
    on_demand_stop_after: 500ms
`,
  );
  const entry = server.registry.entry('lazy')!;
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.equal(entry.source.state, 'idle');
  assert.equal((entry.source as FfmpegSource).pid, undefined, 'no ffmpeg before a viewer');

  const viewer = new WsViewer(`${server.ws}/streams/lazy/ws`);
  await waitFor('the init and a keyframe', () => viewer.json().some((m) => m.type === 'keyframe'), 8000);
  assert.equal(viewer.json()[0]!.type, 'init', 'the viewer waited; it got no error');
  const pid = (entry.source as FfmpegSource).pid!;
  viewer.close();
  await waitFor('the source to stop after the last viewer', () => entry.source.state === 'idle', 3000);
  await waitFor('ffmpeg to be gone', () => commandLine(pid).length === 0, 3000);
  assert.equal(entry.stream.init, undefined, 'nothing stale is left for the next viewer');

  const again = new WsViewer(`${server.ws}/streams/lazy/ws`);
  t.after(() => again.close());
  await waitFor('a restart for the next viewer', () => again.json().some((m) => m.type === 'keyframe'), 8000);
  assert.equal(entry.stream.init!.generation, 2);
});

test('relay: a second fragcast serves the first one\'s stream over its WebSocket', async (t) => {
  const origin = await startConfiguredServer(t, `streams: { cam: { source: { kind: demo, width: 320, height: 180, fps: 15, video_bitrate: 300k } } }`);
  await streamReady(origin.registry.get('cam')!);
  const edge = await startConfiguredServer(
    t,
    `
streams:
  cam: { source: { kind: relay, url: "${origin.ws}/streams/cam/ws" } }
  cam-mp4: { source: { kind: relay, url: "${origin.http}/streams/cam/live.mp4" } }
`,
  );
  for (const name of ['cam', 'cam-mp4']) {
    const relayed = edge.registry.get(name)!;
    await streamReady(relayed);
    assert.equal(relayed.init!.info.mime, origin.registry.get('cam')!.init!.info.mime);
  }
  assert.deepEqual(await probeLive(`${edge.http}/streams/cam/live.mp4`), { codec: 'h264', width: 320, height: 180 });
  assert.equal(origin.viewers.count(origin.registry.get('cam')!), 2, 'the edge is two viewers of the origin');
});
