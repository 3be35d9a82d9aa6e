import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import WebSocket from 'ws';
import { parseConfigText } from '../config/load.ts';
import { desiredStreams } from '../config/runtime.ts';
import { ConfigError } from '../errors.ts';
import { OriginPolicy } from '../http/cors.ts';
import { startConfiguredServer } from '../../test/helpers/config.ts';
import { startTestServer } from '../../test/helpers/server.ts';

/**
 * Cross-origin access at the door of the player's endpoints, by each
 * stream's cors.origins; and the embed's scripts, public and cached by name.
 * The streams here are push streams with no publisher: every door answers
 * without any media.
 */

const CONFIG = `
defaults:
  cors: { origins: ["https://site.example", "https://*.shop.example", "http://localhost:3000"] }
streams:
  private: { source: { kind: push, key: "a-long-enough-key" } }
  open: { source: { kind: push, key: "a-long-enough-key" }, cors: { origins: ["*"] } }
`;

interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: string;
}

async function get(url: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Answer> {
  const response = await fetch(url, { method, headers, signal: AbortSignal.timeout(5000) });
  return { status: response.status, headers: response.headers, body: await response.text() };
}

/** The status a WebSocket upgrade gets from `origin` (101: it opened). */
function upgrade(url: string, origin: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { origin });
    socket.on('open', () => {
      socket.close();
      resolve(101);
    });
    socket.on('unexpected-response', (_request, response) => {
      resolve(response.statusCode!);
      socket.terminate();
    });
    socket.on('error', reject);
  });
}

test('origin patterns: any, exact, and subdomains of a domain (not the domain, not a look-alike)', () => {
  const policy = new OriginPolicy(['https://site.example', 'https://*.shop.example', 'http://localhost:3000']);
  assert.equal(policy.allows('https://site.example'), true);
  assert.equal(policy.allows('http://site.example'), false, 'the scheme counts');
  assert.equal(policy.allows('https://a.shop.example'), true);
  assert.equal(policy.allows('https://a.b.shop.example'), true);
  assert.equal(policy.allows('https://shop.example'), false);
  assert.equal(policy.allows('https://evilshop.example'), false);
  assert.equal(policy.allows('https://a.shop.example.evil'), false);
  assert.equal(policy.allows('https://a.shop.example:8443'), false, 'the port counts');
  assert.equal(policy.allows('http://localhost:3000'), true);
  assert.equal(policy.allows('null'), false);
  assert.equal(new OriginPolicy(['*']).allows('null'), true);
});

test('cors.origins is validated, defaults to any origin, and changing it restarts no source', () => {
  const problems = (text: string): string[] => {
    try {
      parseConfigText(text, 'test.yaml', {});
    } catch (error) {
      assert.ok(error instanceof ConfigError);
      return error.issues.map((issue) => `${issue.path}: ${issue.message}`);
    }
    return [];
  };
  assert.deepEqual(problems('defaults: { cors: { origins: ["https://example.com/page", "example.com"] } }\nstreams: {}'), [
    'defaults.cors.origins[0]: must be "*", an origin such as https://example.com or http://localhost:3000 (scheme and host, no path), or https://*.example.com',
    'defaults.cors.origins[1]: must be "*", an origin such as https://example.com or http://localhost:3000 (scheme and host, no path), or https://*.example.com',
  ]);
  assert.deepEqual(problems('streams: { a: { source: { kind: demo }, cors: { origins: [] } } }'), ['streams.a.cors.origins: must have at least 1 items']);
  const loaded = parseConfigText('streams: { a: { source: { kind: demo }, cors: { origins: ["HTTPS://Site.Example"] } } }', 'test.yaml', {});
  assert.deepEqual(loaded.config.streams.a!.cors.origins, ['https://site.example'], 'compared in lower case');
  assert.deepEqual(parseConfigText('streams: { a: { source: { kind: demo } } }', 'test.yaml', {}).config.streams.a!.cors.origins, ['*']);
  const before = desiredStreams(parseConfigText('streams: { a: { source: { kind: demo } } }', 'test.yaml', {}).config);
  const after = desiredStreams(loaded.config);
  assert.deepEqual(after.get('a')!.definition, before.get('a')!.definition);
});

test("the player's endpoints answer allowed origins with CORS headers, refuse others with 403, and never open the API", async (t) => {
  const server = await startConfiguredServer(t, CONFIG);
  const own = `http://127.0.0.1:${server.port}`;
  // HEAD: a live.mp4 GET of a stream without a publisher answers once media comes.
  const mp4 = `${server.http}/streams/private/live.mp4`;
  const head = (headers: Record<string, string>): Promise<Answer> => get(mp4, headers, 'HEAD');

  const allowed = await head({ origin: 'https://site.example' });
  assert.equal(allowed.status, 200);
  assert.equal(allowed.headers.get('access-control-allow-origin'), 'https://site.example');
  assert.match(allowed.headers.get('vary') ?? '', /Origin/);
  assert.equal(allowed.headers.get('cross-origin-resource-policy'), 'cross-origin');
  assert.equal((await head({ origin: 'https://a.shop.example' })).status, 200);

  const refused = await get(mp4, { origin: 'https://evil.example' });
  assert.equal(refused.status, 403);
  assert.equal((JSON.parse(refused.body) as { error: { code: string; message: string } }).error.code, 'ORIGIN_NOT_ALLOWED');
  assert.equal(refused.headers.get('access-control-allow-origin'), null);
  // A no-cors load (<video src>, a poster) names its page in Referer only.
  assert.equal((await get(`${server.http}/streams/private/snapshot.jpg`, { referer: 'https://evil.example/page.html' })).status, 403);
  assert.equal((await head({ referer: 'https://site.example/page.html' })).status, 200);
  // fragcast's own pages, and clients that name no page (VLC, ffmpeg, curl), always.
  assert.equal((await head({ origin: own })).status, 200);
  assert.equal((await head({})).status, 200);
  // HLS answers carry the headers too, errors included, so a page can read fragcast's error codes.
  const missing = await get(`${server.http}/streams/private/hls/nothing.m4s`, { origin: 'https://site.example' });
  assert.equal(missing.status, 404);
  assert.equal(missing.headers.get('access-control-allow-origin'), 'https://site.example');
  assert.equal((await get(`${server.http}/streams/private/index.m3u8`, { origin: 'https://evil.example' })).status, 403);

  // A stream open to any origin: `*`, no Vary.
  const open = await get(`${server.http}/streams/open/live.mp4`, { origin: 'https://evil.example' }, 'HEAD');
  assert.equal(open.status, 200);
  assert.equal(open.headers.get('access-control-allow-origin'), '*');
  assert.equal(open.headers.get('vary'), null);

  // WebSockets have no CORS: the door refuses the upgrade itself.
  assert.equal(await upgrade(`${server.ws}/streams/private/ws`, 'https://evil.example'), 403);
  assert.equal(await upgrade(`${server.ws}/streams/private/ws`, 'https://site.example'), 101);
  assert.equal(await upgrade(`${server.ws}/streams/private/ws`, own), 101);
  assert.equal(await upgrade(`${server.ws}/streams/open/ws`, 'https://evil.example'), 101);

  // Preflights: for the player's endpoints only.
  const preflight = await get(`${server.http}/streams/private/index.m3u8`, { origin: 'https://site.example', 'access-control-request-method': 'GET', 'access-control-request-headers': 'range' }, 'OPTIONS');
  assert.equal(preflight.status, 204);
  assert.equal(preflight.headers.get('access-control-allow-origin'), 'https://site.example');
  assert.equal(preflight.headers.get('access-control-allow-methods'), 'GET, HEAD, OPTIONS');
  assert.equal(preflight.headers.get('access-control-allow-headers'), 'range');
  assert.equal((await get(`${server.http}/streams/private/index.m3u8`, { origin: 'https://evil.example' }, 'OPTIONS')).status, 403);
  for (const url of ['/api/streams', '/api/streams/open/markers', '/ingest/open', '/metrics']) {
    const answer = await get(`${server.http}${url}`, { origin: 'https://site.example' }, 'OPTIONS');
    assert.equal(answer.status, 405, `OPTIONS ${url}`);
    assert.equal(answer.headers.get('access-control-allow-origin'), null, url);
  }
  const api = await get(`${server.http}/api/streams`, { origin: 'https://site.example' });
  assert.equal(api.status, 200);
  assert.equal(api.headers.get('access-control-allow-origin'), null, 'the API never answers another origin');
});

test('embed.js and player.js: stable URLs any page may load, cached a minute; the chunks they import are immutable, gzipped on request', async (t) => {
  const server = await startTestServer(t, { demo: false });
  for (const name of ['embed.js', 'player.js']) {
    const answer = await get(`${server.http}/${name}`, { origin: 'https://anyone.example' });
    assert.equal(answer.status, 200, name);
    assert.equal(answer.headers.get('content-type'), 'text/javascript; charset=utf-8');
    assert.equal(answer.headers.get('access-control-allow-origin'), '*');
    assert.equal(answer.headers.get('cache-control'), 'public, max-age=60');
    const again = await get(`${server.http}/${name}`, { 'if-none-match': answer.headers.get('etag')! });
    assert.equal(again.status, 304);
  }
  const embed = await get(`${server.http}/embed.js`);
  assert.ok(embed.body.length < 2048, `embed.js is ${embed.body.length} bytes`);
  assert.match(embed.body, /player\.js/);
  const player = (await get(`${server.http}/player.js`)).body;
  const chunks = [...player.matchAll(/"(\/assets\/chunk-[A-Z0-9]+\.js)"/g)].map((match) => match[1]!);
  assert.ok(chunks.length >= 1, 'player.js imports content-hashed chunks by absolute path');
  const response = await fetch(`${server.http}${chunks[0]}`, { headers: { 'accept-encoding': 'gzip' } });
  assert.equal(response.status, 200);
  assert.equal(response.headers.get('cache-control'), 'public, max-age=31536000, immutable');
  assert.equal(response.headers.get('access-control-allow-origin'), '*');
  // fetch decodes gzip itself; the raw bytes say what went over the wire.
  const raw = await new Promise<{ encoding: string | undefined; bytes: Buffer }>((resolve, reject) => {
    import('node:http').then(({ get: httpGet }) =>
      httpGet(`${server.http}${chunks[0]}`, { headers: { 'accept-encoding': 'gzip' } }, (res) => {
        const parts: Buffer[] = [];
        res.on('data', (part: Buffer) => parts.push(part));
        res.on('end', () => resolve({ encoding: res.headers['content-encoding'], bytes: Buffer.concat(parts) }));
      }).on('error', reject),
    );
  });
  assert.equal(raw.encoding, 'gzip');
  assert.equal(gunzipSync(raw.bytes).toString(), await response.text());
  assert.equal((await get(`${server.http}/assets/no-such-chunk.js`)).status, 404);
});
