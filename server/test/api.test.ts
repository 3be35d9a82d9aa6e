import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { CloseCodes } from '../protocol.ts';
import { openapi, responseSchema, validate } from '../../test/helpers/openapi.ts';
import { addStillStream, startTestServer, streamReady, waitFor, type TestServer } from '../../test/helpers/server.ts';
import { WsViewer } from '../../test/helpers/ws-viewer.ts';

let server: TestServer;

before(async () => {
  server = await startTestServer(undefined, { stats: { intervalMs: 200 } });
  await streamReady(server.registry.get('demo')!);
  await waitFor('a complete GOP', () => server.registry.get('demo')!.cache.lastComplete);
});
after(() => server.close());

/** Fetches `url` and checks the answer against the schema docs/openapi.json gives for (`documented`, method, status). */
async function documented(documentedPath: string, url: string, status: number, init: RequestInit = {}): Promise<Record<string, unknown>> {
  const response = await fetch(`${server.http}${url}`, init);
  const body = (await response.json()) as Record<string, unknown>;
  assert.equal(response.status, status, `${init.method ?? 'GET'} ${url}: ${JSON.stringify(body)}`);
  assert.match(response.headers.get('content-type')!, /^application\/json/);
  assert.deepEqual(validate(body, responseSchema(documentedPath, (init.method ?? 'get').toLowerCase(), status)), [], `${init.method ?? 'GET'} ${url}`);
  return body;
}

test('every route under /api (and the probes, metrics, snapshots) is in docs/openapi.json, and every documented operation exists', () => {
  const toDoc = (route: string): string => route.replace(/:(\w+)/g, '{$1}');
  const operator = server.routes.filter((route) => /^\w+ (\/api\/|\/healthz|\/readyz|\/metrics|\/streams\/:name\/snapshot\.)/.test(route)).map(toDoc);
  const documentedOps = Object.entries(openapi.paths).flatMap(([path, methods]) => Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`));
  assert.deepEqual([...operator].sort(), [...documentedOps].sort());
});

test('GET /api/streams and /api/streams/NAME answer the documented shapes, with GOP, cache, viewers per output, source', async () => {
  const viewer = new WsViewer(`${server.ws}/streams/demo/ws`);
  await viewer.opened;
  await waitFor('the viewer to count', () => server.viewers.size === 1);
  const list = await documented('/api/streams', '/api/streams', 200);
  assert.deepEqual((list.streams as { name: string }[]).map((s) => s.name), ['demo']);
  const demo = (await documented('/api/streams/{name}', '/api/streams/demo', 200)) as {
    state: string; ready: boolean; gopSeconds: number; bitrate: number; cache: { bytes: number }; viewers: Record<string, number>; source: { restarts: number; lastError: unknown };
  };
  assert.equal(demo.state, 'running');
  assert.equal(demo.ready, true);
  assert.ok(Math.abs(demo.gopSeconds - 1) < 0.05, `GOP ${demo.gopSeconds} s`);
  assert.ok(demo.bitrate > 500_000 && demo.cache.bytes > 0);
  assert.deepEqual(demo.viewers, { ws: 1, 'http-mp4': 0, total: 1 });
  assert.equal(demo.source.lastError, null);
  viewer.close();
  await waitFor('the viewer to leave', () => server.viewers.size === 0);
  for (const [url, status] of [['/api/streams/nope', 404], ['/api/streams/Bad!', 400]] as const) await documented('/api/streams/{name}', url, status);
});

test('sessions: listed with the documented shape; DELETE kicks with close code 4403; a second DELETE is a 404', async () => {
  const viewer = new WsViewer(`${server.ws}/streams/demo/ws`);
  await waitFor('fragments', () => viewer.binaries.length > 3);
  const { sessions } = (await documented('/api/sessions', '/api/sessions', 200)) as { sessions: { id: string; output: string; bytesSent: number }[] };
  assert.equal(sessions.length, 1);
  const [session] = sessions;
  assert.equal(session!.output, 'ws');
  assert.ok(session!.bytesSent > 0);
  await documented('/api/sessions', '/api/sessions?stream=nope', 200).then((body) => assert.deepEqual(body.sessions, []));
  await documented('/api/sessions/{id}', `/api/sessions/${session!.id}`, 200);

  const kicked = await documented('/api/sessions/{id}', `/api/sessions/${session!.id}`, 200, { method: 'DELETE', headers: { 'X-Request-Id': 'test-kick-1' } });
  assert.equal(kicked.id, session!.id);
  assert.equal(await viewer.closed, CloseCodes.SESSION_KICKED);
  assert.equal(viewer.closeReason, 'Disconnected by an operator');
  assert.equal(server.viewers.size, 0);
  await documented('/api/sessions/{id}', `/api/sessions/${session!.id}`, 404, { method: 'DELETE' });
  await documented('/api/sessions/{id}', '/api/sessions/..%2F..', 404, { method: 'DELETE' });
});

test('a kicked live.mp4 viewer sees its response end', async () => {
  const response = await fetch(`${server.http}/streams/demo/live.mp4`);
  const reader = response.body!.getReader();
  await reader.read();
  const id = [...server.viewers.list()].find((s) => s.output === 'http-mp4')!.id;
  const kick = await fetch(`${server.http}/api/sessions/${id}`, { method: 'DELETE' });
  assert.equal(kick.status, 200);
  const ended = (async () => {
    for (;;) if ((await reader.read()).done) return true;
  })();
  assert.equal(await Promise.race([ended, new Promise((resolve) => setTimeout(() => resolve(false), 3000))]), true);
});

test('POST /api/streams/NAME/restart restarts the source at once: a new generation, no error recorded', async () => {
  const entry = server.registry.entry('demo')!;
  const generation = entry.stream.init!.generation;
  const restarts = entry.source.restarts;
  const accepted = await documented('/api/streams/{name}/restart', '/api/streams/demo/restart', 202, { method: 'POST' });
  assert.equal(accepted.generation, generation);
  await waitFor('the next generation', () => entry.stream.init!.generation === generation + 1, 5000);
  const demo = (await documented('/api/streams/{name}', '/api/streams/demo', 200)) as { source: { restarts: number; lastExit: { reason: string }; lastError: unknown } };
  assert.equal(demo.source.restarts, restarts + 1);
  assert.equal(demo.source.lastExit.reason, 'restart requested through the API');
  assert.equal(demo.source.lastError, null, 'a requested restart is not an error');
  await documented('/api/streams/{name}/restart', '/api/streams/nope/restart', 404, { method: 'POST' });
  await streamReady(entry.stream);
});

test('a source that exits by itself is the stream\'s lastError, with its last line', async () => {
  const { FfmpegSource } = await import('../sources/ffmpeg-source.ts');
  const { silentLogger } = await import('../../test/helpers/server.ts');
  const source = new FfmpegSource({
    ffmpegPath: process.execPath,
    args: ['-e', 'console.error("Connection refused: rtsp://camera/"); process.exit(3)'],
    logger: silentLogger,
    backoff: { initialMs: 5000 },
  });
  server.registry.add('crashy', source);
  await waitFor('the exit', () => source.lastExit);
  const crashy = (await documented('/api/streams/{name}', '/api/streams/crashy', 200)) as { state: string; ready: boolean; source: { lastError: { code: string; message: string } } };
  assert.equal(crashy.ready, false);
  assert.equal(crashy.source.lastError.code, 'SOURCE_EXITED');
  assert.match(crashy.source.lastError.message, /by itself \(code 3\) after \d+\.\d s: Connection refused: rtsp:\/\/camera\//);
  // An operator's restart cuts the backoff short.
  const restarted = performance.now();
  await fetch(`${server.http}/api/streams/crashy/restart`, { method: 'POST' });
  await waitFor('the second run', () => source.restarts === 1, 3000);
  assert.ok(performance.now() - restarted < 3000, 'did not wait out the 5 s backoff');
  await server.registry.remove('crashy');
});

test('/healthz is alive; /readyz is 503 naming a stream without a keyframe, 200 when every stream has one', async () => {
  const health = await documented('/healthz', '/healthz', 200);
  assert.equal(health.status, 'ok');
  addStillStream(server, 'waiting');
  const notReady = await documented('/readyz', '/readyz', 503);
  assert.deepEqual(notReady, { error: { code: 'SERVER_NOT_READY', message: 'Not ready: no keyframe yet from "waiting"' } });
  await server.registry.remove('waiting');
  const ready = await documented('/readyz', '/readyz', 200);
  assert.deepEqual(ready, { status: 'ready', streams: { demo: true } });
});

test('GET /api/stats answers samples with rates, only newer ones with ?since, and the sessions', async () => {
  const viewer = new WsViewer(`${server.ws}/streams/demo/ws`);
  await viewer.opened;
  await waitFor('three samples with the viewer', () => server.stats.samples().filter((s) => s.streams.demo?.viewers.ws === 1).length >= 3);
  const stats = (await documented('/api/stats', '/api/stats', 200)) as { samples: { t: number; cpu: number; streams: Record<string, { ingestBitsPerSecond: number; egressBitsPerSecond: number; fragmentsPerSecond: number }> }[]; sessions: unknown[] };
  const last = stats.samples.at(-1)!;
  assert.ok(last.streams.demo!.ingestBitsPerSecond > 100_000, `ingest ${last.streams.demo!.ingestBitsPerSecond}`);
  assert.ok(last.streams.demo!.fragmentsPerSecond > 10);
  assert.ok(last.cpu >= 0);
  assert.equal(stats.sessions.length, 1);
  const newer = (await documented('/api/stats', `/api/stats?since=${last.t}`, 200)) as { samples: { t: number }[] };
  assert.ok(newer.samples.every((s) => s.t > last.t));
  viewer.close();
});

test('errors on the API use the one shape; an unknown API path is a 404, a wrong method a 405', async () => {
  const missing = await fetch(`${server.http}/api/nothing`);
  assert.equal(missing.status, 404);
  assert.deepEqual(await missing.json(), { error: { code: 'NOT_FOUND', message: 'No route for GET /api/nothing' } });
  const wrong = await fetch(`${server.http}/api/streams`, { method: 'DELETE' });
  assert.equal(wrong.status, 405);
  assert.equal(wrong.headers.get('allow'), 'GET');
});

test('GET /api/config and POST /api/reload answer the documented shapes', async () => {
  const config = (await documented('/api/config', '/api/config', 200)) as { streams: Record<string, unknown> };
  assert.deepEqual(Object.keys(config.streams), ['demo']);
  // This server runs without a configuration file: nothing to reload from.
  const refused = (await documented('/api/reload', '/api/reload', 409, { method: 'POST' })) as { error: { code: string } };
  assert.equal(refused.error.code, 'RELOAD_UNAVAILABLE');
});

test('markers: POST answers 201 with the marker, GET lists it, bad bodies get their codes', async () => {
  const created = (await documented('/api/streams/{name}/markers', '/api/streams/demo/markers', 201, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ label: 'goal' }),
  })) as { marker: { id: string; label: string } };
  assert.equal(created.marker.label, 'goal');
  const list = (await documented('/api/streams/{name}/markers', '/api/streams/demo/markers', 200)) as { markers: { id: string }[] };
  assert.ok(list.markers.some((m) => m.id === created.marker.id));
  await documented('/api/streams/{name}/markers', '/api/streams/demo/markers', 422, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ label: '' }) });
  await documented('/api/streams/{name}/markers', '/api/streams/demo/markers', 415, { method: 'POST', body: '{"label":"x"}' });
  await documented('/api/streams/{name}/markers', '/api/streams/nope/markers', 404);
});
