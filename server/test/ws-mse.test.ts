import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { after, before, test } from 'node:test';
import WebSocket from 'ws';
import { CloseCodes } from '../protocol.ts';
import { FfmpegSource } from '../sources/ffmpeg-source.ts';
import { topLevelBoxes } from '../../test/helpers/boxes.ts';
import { silentLogger, startDemoServer, type TestServer, waitFor } from '../../test/helpers/server.ts';
import { WsViewer } from '../../test/helpers/ws-viewer.ts';

let server: TestServer;

before(async () => {
  server = await startDemoServer();
});
after(() => server.close());

function probe(bytes: Buffer): { codec_name: string; nb_read_frames: string }[] {
  const dir = mkdtempSync(`${tmpdir()}/fragcast-`);
  writeFileSync(`${dir}/ws.mp4`, bytes);
  let out: string;
  try {
    out = execFileSync('ffprobe', ['-v', 'error', '-count_frames', '-show_entries', 'stream=codec_name,nb_read_frames', '-of', 'json', `${dir}/ws.mp4`], { encoding: 'utf8' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return (JSON.parse(out) as { streams: { codec_name: string; nb_read_frames: string }[] }).streams;
}

test('a viewer gets the init message, the init segment and a keyframe fragment within 1 s', async () => {
  const viewer = new WsViewer(`${server.ws}/streams/demo/ws`);
  await waitFor('init, init segment and a fragment', () => viewer.binaries.length >= 2, 1000);
  const [first, second, third] = viewer.messages;
  const init = JSON.parse(first!.data.toString()) as { type: string; mime: string; generation: number; tracks: { kind: string }[] };
  assert.equal(init.type, 'init');
  assert.match(init.mime, /^video\/mp4; codecs="avc1\.[0-9a-f]{6},mp4a\.40\.2"$/);
  assert.equal(init.generation, 1);
  assert.deepEqual(init.tracks.map((t) => t.kind), ['video', 'audio']);
  assert.equal(second!.binary, true);
  assert.deepEqual(topLevelBoxes(second!.data).map(([type]) => type), ['ftyp', 'moov']);
  // The GOP replay starts with the keyframe stamp, then the keyframe itself.
  assert.equal(JSON.parse(third!.data.toString()).type, 'keyframe');
  const keyframe = viewer.messages.find((m, i) => i > 1 && m.binary)!;
  assert.deepEqual(topLevelBoxes(keyframe.data).map(([type]) => type), ['prft', 'moof', 'mdat']);
  console.log(`# first keyframe fragment ${Math.round(keyframe.at - viewer.startedAt)} ms after connecting`);
  viewer.close();
});

test('the binary messages, concatenated, decode with ffprobe as H.264 + AAC', async () => {
  const viewer = new WsViewer(`${server.ws}/streams/demo/ws`);
  await new Promise((resolve) => setTimeout(resolve, 2000));
  viewer.close();
  const streams = probe(Buffer.concat(viewer.binaries));
  assert.deepEqual(streams.map((s) => s.codec_name), ['h264', 'aac']);
  const videoFrames = Number(streams[0]!.nb_read_frames);
  assert.ok(videoFrames >= 60, `2 s of live plus the cached GOP, got ${videoFrames} frames`);
});

test('answers 404 before the upgrade for an unknown stream, 400 for a bad name, 426 without an upgrade', async () => {
  const status = (url: string): Promise<{ code: number; body: string }> =>
    new Promise((resolve, reject) => {
      const socket = new WebSocket(url);
      socket.on('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString()));
        res.on('end', () => resolve({ code: res.statusCode!, body }));
      });
      socket.on('open', () => reject(new Error('upgraded')));
      socket.on('error', () => {});
    });
  const missing = await status(`${server.ws}/streams/nope/ws`);
  assert.equal(missing.code, 404);
  assert.deepEqual(JSON.parse(missing.body), { error: { code: 'STREAM_NOT_FOUND', message: 'Stream "nope" does not exist' } });
  const bad = await status(`${server.ws}/streams/Bad%20Name/ws`);
  assert.equal(bad.code, 400);
  assert.equal(JSON.parse(bad.body).error.code, 'INVALID_STREAM_NAME');
  const plain = await fetch(`${server.http}/streams/demo/ws`);
  assert.equal(plain.status, 426);
  assert.equal(((await plain.json()) as { error: { code: string } }).error.code, 'UPGRADE_REQUIRED');
});

test('control messages: ping gets a pong; bad JSON gets an error and the session goes on', async () => {
  const viewer = new WsViewer(`${server.ws}/streams/demo/ws`);
  await viewer.opened;
  viewer.socket.send(JSON.stringify({ type: 'ping', id: 42 }));
  viewer.socket.send('{not json');
  viewer.socket.send(JSON.stringify({ type: 'from-the-future' }));
  await waitFor('pong and error', () => viewer.json().some((m) => m.type === 'pong') && viewer.json().some((m) => m.type === 'error'));
  const pong = viewer.json().find((m) => m.type === 'pong')!;
  assert.equal(pong.id, 42);
  assert.ok(Math.abs((pong.serverTime as number) - Date.now()) < 1000);
  const before = viewer.binaries.length;
  await waitFor('more fragments', () => viewer.binaries.length > before + 10);
  assert.equal(viewer.closeCode, undefined);
  viewer.close();
});

test('a binary or oversized message from a viewer closes it with a clear close code', async () => {
  const binary = new WsViewer(`${server.ws}/streams/demo/ws`);
  await binary.opened;
  binary.socket.send(Buffer.from([1, 2, 3]));
  assert.equal(await binary.closed, CloseCodes.BINARY_FROM_VIEWER);
  assert.match(binary.closeReason, /binary/);

  const big = new WsViewer(`${server.ws}/streams/demo/ws`);
  await big.opened;
  big.socket.send('x'.repeat(5000));
  assert.equal(await big.closed, CloseCodes.MESSAGE_TOO_BIG);
  assert.match(big.closeReason, /exceeds 4096 bytes/);
});

test('a viewer that vanishes mid-send costs nothing: its session ends, the others go on', async () => {
  const stream = server.registry.get('demo')!;
  const healthy = new WsViewer(`${server.ws}/streams/demo/ws`);
  await healthy.opened;
  const baseline = server.viewers.count(stream);
  // A raw client: upgrade, let fragments flow, then drop the TCP connection without a close frame.
  const socket = connect(server.port, '127.0.0.1');
  socket.write(
    'GET /streams/demo/ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
      'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
  );
  await new Promise((resolve) => socket.once('data', resolve));
  await waitFor('the raw viewer to join', () => server.viewers.count(stream) === baseline + 1);
  await new Promise((resolve) => setTimeout(resolve, 300));
  socket.destroy();
  await waitFor('the vanished viewer to be removed', () => server.viewers.count(stream) === baseline);
  const before = healthy.binaries.length;
  await waitFor('the healthy viewer to keep receiving', () => healthy.binaries.length > before + 20);
  healthy.close();
});

test('a source with malformed output is restarted; other streams and viewers keep going', async () => {
  const demo = server.registry.get('demo')!;
  const viewer = new WsViewer(`${server.ws}/streams/demo/ws`);
  await viewer.opened;
  // A real process that writes garbage where fMP4 should be.
  const garbage = new FfmpegSource({
    ffmpegPath: process.execPath,
    args: ['-e', 'setInterval(() => process.stdout.write("this is not an mp4 box at all"), 20)'],
    logger: silentLogger,
    backoff: { initialMs: 100 },
  });
  const bad = server.registry.add('garbage', garbage);
  await waitFor('two restarts of the garbage source', () => garbage.restarts >= 2, 5000);
  assert.ok(bad.stats.inputErrors >= 2);
  const gaps: number[] = [];
  const binaries = viewer.messages.filter((m) => m.binary);
  for (let i = 1; i < binaries.length; i++) gaps.push(binaries[i]!.at - binaries[i - 1]!.at);
  assert.ok(Math.max(...gaps.slice(5)) < 500, `demo viewer saw a gap of ${Math.round(Math.max(...gaps.slice(5)))} ms`);
  assert.equal(demo.stats.inputErrors, 0);
  await server.registry.remove('garbage');
  viewer.close();
});

test('killing ffmpeg: fragments flow again within 3 s, with a new init generation', async () => {
  const entry = server.registry.entry('demo')!;
  const viewer = new WsViewer(`${server.ws}/streams/demo/ws`);
  await waitFor('first fragments', () => viewer.binaries.length > 5);
  const pid = (entry.source as FfmpegSource).pid!;
  const killedAt = performance.now();
  process.kill(pid, 'SIGKILL');
  const init2 = await waitFor('a generation-2 init', () => viewer.json().find((m) => m.type === 'init' && m.generation === 2), 3000);
  assert.equal(init2.type, 'init');
  const index = viewer.messages.findIndex((m) => !m.binary && JSON.parse(m.data.toString()).generation === 2 && JSON.parse(m.data.toString()).type === 'init');
  await waitFor('a fragment of the new generation', () => viewer.messages.slice(index + 2).some((m) => m.binary), 3000);
  const resumed = viewer.messages.slice(index + 2).find((m) => m.binary)!;
  const seconds = (resumed.at - killedAt) / 1000;
  console.log(`# fragments flowed again ${seconds.toFixed(2)} s after SIGKILL`);
  assert.ok(seconds < 3, `took ${seconds} s`);
  assert.equal(entry.stream.init!.generation, 2);
  assert.equal(entry.source.restarts, 1);
  assert.equal(viewer.closeCode, undefined, 'the WebSocket viewer stays connected across the restart');
  viewer.close();
});
