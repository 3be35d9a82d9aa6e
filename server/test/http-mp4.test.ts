import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import type { FfmpegSource } from '../sources/ffmpeg-source.ts';
import { topLevelBoxes } from '../../test/helpers/boxes.ts';
import { startDemoServer, type TestServer, waitFor } from '../../test/helpers/server.ts';

const run = promisify(execFile);
let server: TestServer;

before(async () => {
  server = await startDemoServer();
});
after(() => server.close());

test('ffprobe plays 3 s of live.mp4 as H.264 + AAC', async () => {
  const { stdout } = await run(
    'ffprobe',
    ['-v', 'error', '-count_frames', '-read_intervals', '%+3', '-show_entries', 'stream=codec_name,width,height,nb_read_frames', '-of', 'json', `${server.http}/streams/demo/live.mp4`],
    { timeout: 15_000 },
  );
  const streams = (JSON.parse(stdout) as { streams: { codec_name: string; width?: number; nb_read_frames: string }[] }).streams;
  assert.deepEqual(streams.map((s) => s.codec_name), ['h264', 'aac']);
  assert.equal(streams[0]!.width, 1280);
  assert.ok(Number(streams[0]!.nb_read_frames) >= 85, `decoded ${streams[0]!.nb_read_frames} video frames`);
});

test('GET answers video/mp4, chunked, no-store; the body starts with the init and a keyframe', async () => {
  const controller = new AbortController();
  const response = await fetch(`${server.http}/streams/demo/live.mp4`, { signal: controller.signal });
  assert.equal(response.status, 200);
  assert.equal(response.headers.get('content-type'), 'video/mp4');
  assert.equal(response.headers.get('cache-control'), 'no-store');
  assert.equal(response.headers.get('transfer-encoding'), 'chunked');
  const reader = response.body!.getReader();
  let body = Buffer.alloc(0);
  while (body.length < 200_000) body = Buffer.concat([body, (await reader.read()).value!]);
  controller.abort();
  const types = topLevelBoxes(body).map(([type]) => type);
  assert.deepEqual(types.slice(0, 5), ['ftyp', 'moov', 'prft', 'moof', 'mdat']);
});

test('HEAD answers the headers without a body; an unknown stream is a JSON 404', async () => {
  const head = await fetch(`${server.http}/streams/demo/live.mp4`, { method: 'HEAD' });
  assert.equal(head.status, 200);
  assert.equal(head.headers.get('content-type'), 'video/mp4');
  assert.equal(head.headers.get('cache-control'), 'no-store');
  assert.equal((await head.arrayBuffer()).byteLength, 0);
  const missing = await fetch(`${server.http}/streams/cam9/live.mp4`);
  assert.equal(missing.status, 404);
  assert.deepEqual(await missing.json(), { error: { code: 'STREAM_NOT_FOUND', message: 'Stream "cam9" does not exist' } });
});

test('a new init (source restart) ends the response so the player reconnects', async () => {
  const entry = server.registry.entry('demo')!;
  const response = await fetch(`${server.http}/streams/demo/live.mp4`);
  const reader = response.body!.getReader();
  await reader.read();
  process.kill((entry.source as FfmpegSource).pid!, 'SIGKILL');
  const ended = (async () => {
    for (;;) if ((await reader.read()).done) return true;
  })();
  assert.equal(await Promise.race([ended, new Promise((resolve) => setTimeout(() => resolve(false), 4000))]), true, 'body ended');
  await waitFor('the new generation', () => entry.stream.init!.generation === 2, 4000);
  const again = await fetch(`${server.http}/streams/demo/live.mp4`, { signal: AbortSignal.timeout(3000) });
  assert.equal(again.status, 200);
  const chunk = await again.body!.getReader().read();
  assert.ok(chunk.value!.length > 0, 'a reconnecting player gets the new stream');
});

test('a known URL with the wrong method is a 405 with Allow; an unknown URL a 404', async () => {
  const post = await fetch(`${server.http}/streams/demo/live.mp4`, { method: 'POST', body: 'x' });
  assert.equal(post.status, 405);
  assert.equal(post.headers.get('allow'), 'GET, HEAD, OPTIONS');
  assert.equal(((await post.json()) as { error: { code: string } }).error.code, 'METHOD_NOT_ALLOWED');
  const nowhere = await fetch(`${server.http}/nowhere`, { method: 'DELETE' });
  assert.equal(nowhere.status, 404);
  assert.deepEqual(await nowhere.json(), { error: { code: 'NOT_FOUND', message: 'No route for DELETE /nowhere' } });
});
