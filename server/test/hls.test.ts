import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { FFMPEG_QUIET_ARGS, FMP4_STDOUT_ARGS } from '../sources/ffmpeg-args.ts';
import { FfmpegSource } from '../sources/ffmpeg-source.ts';
import { loopSourcePath } from '../../test/helpers/fixtures.ts';
import { parsePlaylist, type ParsedPlaylist } from '../../test/helpers/m3u8.ts';
import { addLoopStream, silentLogger, startDemoServer, type TestServer, waitFor } from '../../test/helpers/server.ts';
import { WsViewer } from '../../test/helpers/ws-viewer.ts';

const run = promisify(execFile);
let server: TestServer;

before(async () => {
  server = await startDemoServer();
});
after(() => server.close());

async function playlist(name: string, query = ''): Promise<{ response: Response; text: string; parsed: ParsedPlaylist }> {
  const response = await fetch(`${server.http}/streams/${name}/index.m3u8${query}`);
  const text = await response.text();
  return { response, text, parsed: parsePlaylist(text) };
}

test('ffmpeg reads index.m3u8 and decodes 5 s of H.264 + AAC', async () => {
  const { stdout } = await run('ffmpeg', [...FFMPEG_QUIET_ARGS.filter((arg) => arg !== '-nostats'), '-i', `${server.http}/streams/demo/index.m3u8`, '-t', '5', '-f', 'framecrc', '-'], {
    timeout: 30_000,
    maxBuffer: 16 * 1024 * 1024,
  });
  const frames = (stream: number): number => stdout.split('\n').filter((line) => line.startsWith(`${stream}, `)).length;
  assert.ok(frames(0) >= 145, `decoded ${frames(0)} video frames`);
  assert.ok(frames(1) >= 225, `decoded ${frames(1)} audio frames`);
});

test('a blocking request for the next part returns as soon as the part exists', async () => {
  const timeline = server.hls.timeline('demo')!;
  // Right after a segment closes, the next has no part yet and the playlist ends with the closed one: ask again.
  let parsed = (await playlist('demo')).parsed;
  for (let tries = 0; parsed.segments.at(-1)!.uri !== undefined && tries < 20; tries++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    parsed = (await playlist('demo')).parsed;
  }
  const open = parsed.segments.at(-1)!;
  assert.equal(open.uri, undefined, 'the playlist ends with the open segment');
  const msn = open.msn;
  const next = open.parts.length;
  const requestedAt = Date.now();
  const blocked = await playlist('demo', `?_HLS_msn=${msn}&_HLS_part=${next}`);
  const answeredAt = Date.now();
  assert.equal(blocked.response.status, 200);
  assert.match(blocked.response.headers.get('cache-control')!, /^public, max-age=6$/);
  const segment = blocked.parsed.segments.find((candidate) => candidate.msn === msn)!;
  // The part asked for, or (when the segment ended first) part 0 of the next segment.
  const part = segment.parts[next] ?? blocked.parsed.segments.find((candidate) => candidate.msn === msn + 1)!.parts[0]!;
  assert.ok(part, 'the answer lists the part');
  const n = Number(/-p(\d+)\.m4s$/.exec(part.uri)![1]);
  const made = [...timeline.view.segments, timeline.view.open!].flatMap((candidate) => candidate!.parts).find((candidate) => candidate.n === n)!;
  assert.ok(made.publishedMs >= requestedAt - 5, 'the request was parked before the part existed');
  assert.ok(answeredAt - made.publishedMs < 500, `answered ${answeredAt - made.publishedMs} ms after the part was published`);
  console.log(
    `# blocking reload answered ${answeredAt - made.lastArrivalMs} ms after the part's last fragment arrived ` +
      `(${made.publishedMs - made.lastArrivalMs} ms to publish, ${answeredAt - made.publishedMs} ms to answer, after ${made.publishedMs - requestedAt} ms parked)`,
  );
});

test('the preload hint names the next part; a request for it waits and gets the part bytes, immutable', async () => {
  const timeline = server.hls.timeline('demo')!;
  const { parsed } = await playlist('demo');
  const hinted = parsed.hint!;
  const n = Number(/-p(\d+)\.m4s$/.exec(hinted)![1]);
  assert.equal(timeline.hasPart(n), false);
  const response = await fetch(`${server.http}/streams/demo/${hinted}`);
  assert.equal(response.status, 200);
  assert.equal(response.headers.get('content-type'), 'video/mp4');
  assert.equal(response.headers.get('cache-control'), 'public, max-age=31536000, immutable');
  const body = Buffer.from(await response.arrayBuffer());
  assert.deepEqual(body, await timeline.part(n));
  assert.match(body.toString('latin1', 4, 8), /prft|moof/);
  const segment = parsed.segments.find((candidate) => candidate.uri)!;
  const whole = await fetch(`${server.http}/streams/demo/${segment.uri}`);
  assert.equal(whole.status, 200);
  assert.equal(Number(whole.headers.get('content-length')), (await whole.arrayBuffer()).byteLength);
  const init = await fetch(`${server.http}/streams/demo/${parsed.segments[0]!.map}`);
  assert.equal(Buffer.from(await init.arrayBuffer()).toString('latin1', 4, 8), 'ftyp');
});

test('playlists: the type, a one-second cache for plain requests, 400 for bad or too-far directives', async () => {
  const plain = await playlist('demo');
  assert.equal(plain.response.headers.get('content-type'), 'application/vnd.apple.mpegurl');
  assert.equal(plain.response.headers.get('cache-control'), 'public, max-age=1');
  assert.equal(plain.response.headers.get('vary'), 'Accept-Encoding');
  // fetch asks for gzip and inflates it; a client that does not ask gets plain text.
  assert.equal(plain.response.headers.get('content-encoding'), 'gzip');
  const identity = await run('curl', ['-s', '-D', '-', `${server.http}/streams/demo/index.m3u8`]);
  assert.doesNotMatch(identity.stdout, /content-encoding/i);
  assert.match(identity.stdout, /#EXTM3U/);
  const lastMsn = plain.parsed.segments.filter((segment) => segment.uri).at(-1)!.msn;
  for (const [query, code] of [
    ['?_HLS_part=2', 'HLS_DIRECTIVE_INVALID'],
    ['?_HLS_msn=x', 'HLS_DIRECTIVE_INVALID'],
    [`?_HLS_msn=${lastMsn + 3}`, 'HLS_DIRECTIVE_TOO_FAR'],
    [`?_HLS_msn=${lastMsn + 1}&_HLS_part=40`, 'HLS_DIRECTIVE_TOO_FAR'],
  ] as const) {
    const response = await fetch(`${server.http}/streams/demo/index.m3u8${query}`);
    assert.equal(response.status, 400, query);
    assert.equal(response.headers.get('cache-control'), 'no-store');
    assert.equal(((await response.json()) as { error: { code: string } }).error.code, code, query);
  }
  const delta = await playlist('demo', '?_HLS_skip=YES');
  assert.equal(delta.response.status, 200);
  const missing = await fetch(`${server.http}/streams/demo/hls/${server.hls.timeline('demo')!.run}-s1.m4s`);
  assert.equal(missing.status, 404);
  assert.equal(((await missing.json()) as { error: { code: string } }).error.code, 'HLS_MEDIA_NOT_FOUND');
  for (const file of ['zz-p0.m4s', '..%2Fpackage.json', 'index.m3u8']) {
    assert.equal((await fetch(`${server.http}/streams/demo/hls/${file}`)).status, 404, file);
  }
  assert.equal((await fetch(`${server.http}/streams/nope/index.m3u8`)).status, 404);
  assert.equal((await fetch(`${server.http}/streams/demo/index.m3u8`, { method: 'POST' })).status, 405);
});

test('a stalled source: blocking requests answer 503 after three target durations, and the playlist stays served', async () => {
  // Three loops of a 2 s file at 4× speed, then ffmpeg exits and is not restarted within the test.
  const source = new FfmpegSource({
    ffmpegPath: server.ffmpeg.path,
    args: [...FFMPEG_QUIET_ARGS, '-stream_loop', '2', '-readrate', '4', '-i', loopSourcePath(), '-map', '0:v', '-c', 'copy', ...FMP4_STDOUT_ARGS],
    logger: silentLogger,
    backoff: { initialMs: 120_000 },
  });
  server.registry.add('stalled', source);
  const timeline = server.hls.timeline('stalled')!;
  await waitFor('the stalled source to exit', () => source.state === 'backoff' && timeline.hasPlaylist, 10_000);
  const { parsed } = await playlist('stalled');
  const open = parsed.segments.at(-1)!;
  const started = Date.now();
  const [blocked, part] = await Promise.all([
    fetch(`${server.http}/streams/stalled/index.m3u8?_HLS_msn=${open.msn + 1}`),
    fetch(`${server.http}/streams/stalled/${parsed.hint}`),
  ]);
  const waited = Date.now() - started;
  assert.equal(blocked.status, 503);
  assert.equal(((await blocked.json()) as { error: { code: string } }).error.code, 'HLS_BLOCKING_TIMEOUT');
  assert.equal(part.status, 503);
  assert.ok(waited >= 5900 && waited < 9000, `answered after ${waited} ms`);
  assert.equal(timeline.waiters.size, 0);
  assert.equal((await playlist('stalled')).response.status, 200);
  await server.registry.remove('stalled');
  assert.equal(server.hls.timeline('stalled'), undefined);
});

test('a source restart appears as EXT-X-DISCONTINUITY with the new init; the media sequence goes on growing', async () => {
  const stream = addLoopStream(server, 'restart');
  await waitFor('a first segment', () => server.hls.timeline('restart')?.hasPlaylist, 10_000);
  const before = (await playlist('restart')).parsed;
  const source = server.registry.entry('restart')!.source as FfmpegSource;
  process.kill(source.pid!, 'SIGKILL');
  await waitFor('the second generation', () => stream.init?.generation === 2, 10_000);
  const timeline = server.hls.timeline('restart')!;
  await waitFor('a segment of the second generation', () => timeline.view.segments.some((segment) => segment.generation === 2), 10_000);
  const after = (await playlist('restart')).parsed;
  const restart = after.segments.find((segment) => segment.discontinuity)!;
  assert.ok(restart, after.lines.join('\n'));
  assert.equal(restart.map, `hls/${timeline.run}-i2.mp4`);
  assert.ok(Number(after.tags.get('#EXT-X-MEDIA-SEQUENCE')) >= Number(before.tags.get('#EXT-X-MEDIA-SEQUENCE')));
  assert.ok(restart.msn > before.segments.filter((segment) => segment.uri).at(-1)!.msn);
  await server.registry.remove('restart');
});

function postMarker(body: string, type = 'application/json', name = 'demo'): Promise<Response> {
  return fetch(`${server.http}/api/streams/${name}/markers`, { method: 'POST', headers: { 'content-type': type }, body });
}

test('a marker added through the API is listed, appears in the playlist as EXT-X-DATERANGE and reaches WebSocket viewers', async (t) => {
  const viewer = new WsViewer(`${server.ws}/streams/demo/ws`);
  t.after(() => viewer.close());
  await viewer.opened;
  const created = await postMarker(JSON.stringify({ label: 'Kick-off ⚽' }));
  assert.equal(created.status, 201);
  const { marker } = (await created.json()) as { marker: { id: string; label: string; time: string } };
  assert.equal(marker.label, 'Kick-off ⚽');
  assert.ok(Math.abs(Date.parse(marker.time) - Date.now()) < 2000);
  const listed = (await (await fetch(`${server.http}/api/streams/demo/markers`)).json()) as { markers: unknown[] };
  assert.deepEqual(listed.markers.at(-1), marker);
  const { parsed } = await playlist('demo');
  assert.deepEqual(parsed.dateRanges.find((range) => range.ID === marker.id), { ID: marker.id, CLASS: 'com.fragcast.marker', 'START-DATE': marker.time, 'X-LABEL': 'Kick-off ⚽' });
  await waitFor('the marker message', () => viewer.json().find((message) => message.type === 'marker' && message.id === marker.id));
  assert.deepEqual(viewer.json().find((message) => message.type === 'marker'), { type: 'marker', ...marker });
  // A viewer that connects later gets the markers after its instant start.
  const late = new WsViewer(`${server.ws}/streams/demo/ws`);
  t.after(() => late.close());
  await waitFor('the marker on connect', () => late.json().find((message) => message.type === 'marker' && message.id === marker.id));
  const summary = (await (await fetch(`${server.http}/api/streams`)).json()) as { streams: { name: string; markers: number; links: { hls: string }; hls: { segments: number } }[] };
  const demo = summary.streams.find((stream) => stream.name === 'demo')!;
  assert.equal(demo.links.hls, '/streams/demo/index.m3u8');
  assert.ok(demo.markers >= 1 && demo.hls.segments >= 1);
});

test('marker requests are checked strictly: type, size, JSON, fields, stream', async () => {
  const expect = async (response: Promise<Response>, status: number, code: string): Promise<void> => {
    const answer = await response;
    assert.equal(answer.status, status, code);
    assert.equal(((await answer.json()) as { error: { code: string } }).error.code, code);
  };
  await expect(postMarker('{"label":"x"}', 'text/plain'), 415, 'CONTENT_TYPE_UNSUPPORTED');
  await expect(postMarker(JSON.stringify({ label: 'x'.repeat(5000) })), 413, 'BODY_TOO_LARGE');
  await expect(postMarker('{"label":'), 400, 'BODY_NOT_JSON');
  await expect(postMarker(JSON.stringify({ label: 'x', time: 'yesterday' })), 422, 'MARKER_INVALID');
  await expect(postMarker(JSON.stringify({ label: 'x', color: 'red' })), 422, 'MARKER_INVALID');
  await expect(postMarker(JSON.stringify({ label: 'x' }), 'application/json', 'nope'), 404, 'STREAM_NOT_FOUND');
  await expect(postMarker(JSON.stringify({ label: 'x' }), 'application/json', 'Bad!'), 400, 'INVALID_STREAM_NAME');
  await expect(fetch(`${server.http}/api/streams/demo/markers`, { method: 'DELETE' }), 405, 'METHOD_NOT_ALLOWED');
  // A chunked body over the limit is cut off while it is read.
  const chunked = new ReadableStream({
    start(controller) {
      for (let i = 0; i < 10; i++) controller.enqueue(new TextEncoder().encode(' '.repeat(1000)));
      controller.close();
    },
  });
  await expect(fetch(`${server.http}/api/streams/demo/markers`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: chunked, duplex: 'half' } as RequestInit), 413, 'BODY_TOO_LARGE');
});
