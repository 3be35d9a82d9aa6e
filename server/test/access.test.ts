import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, test } from 'node:test';
import { signLink } from '../http/signed-links.ts';
import { startConfiguredServer } from '../../test/helpers/config.ts';
import { loopSourcePath } from '../../test/helpers/fixtures.ts';
import { errorCode, request, type RawResponse } from '../../test/helpers/http.ts';
import { startTestServer, streamReady, waitFor, type TestServer } from '../../test/helpers/server.ts';
import { WsViewer } from '../../test/helpers/ws-viewer.ts';
import { FragcastError } from '../errors.ts';

const ADMIN = 'admin-token-for-tests-0123';
const LINK_SECRET = 'link-secret-for-tests';
const JWT_SECRET = 'jwt-secret-for-tests-0123456789-0123';
const source = (): string => `{ kind: ffmpeg, input: "${loopSourcePath()}", loop: true, codecs: copy }`;

let server: TestServer;

before(async () => {
  server = await startConfiguredServer(
    undefined as never,
    `
admin: { token: ${ADMIN} }
links: { secret: ${LINK_SECRET} }
jwt: { secret: ${JWT_SECRET}, issuer: tickets }
streams:
  cam: { source: ${source()}, access: signed }
  match: { source: ${source()}, access: jwt }
  inside: { source: ${source()}, allow: [127.0.0.1/32] }
`,
  );
  await Promise.all(['cam', 'match', 'inside'].map((name) => streamReady(server.registry.get(name)!, 15_000)));
});
after(() => server.close());

const now = (): number => Math.floor(Date.now() / 1000);
const link = (stream: string, ttl = 600): string => signLink(LINK_SECRET, stream, now() + ttl).query;

function token(claims: Record<string, unknown>, alg = 'HS256'): string {
  const head = Buffer.from(JSON.stringify({ alg, typ: 'JWT' })).toString('base64url');
  const body = Buffer.from(JSON.stringify({ aud: 'fragcast', iss: 'tickets', exp: now() + 600, ...claims })).toString('base64url');
  return `${head}.${body}.${createHmac('sha256', JWT_SECRET).update(`${head}.${body}`).digest('base64url')}`;
}

/** A refusal: the status, the code, the one JSON error shape, and not a byte of the stream. */
function assertRefused(response: RawResponse, status: number, code: string, what: string): void {
  assert.equal(response.status, status, `${what}: ${response.body.toString().slice(0, 200)}`);
  assert.equal(errorCode(response), code, what);
  assert.match(String(response.headers['content-type']), /^application\/json/, what);
  assert.ok(!response.body.includes('ftyp') && !response.body.includes('#EXTM3U') && !response.body.includes('moof'), `${what}: media in a refusal`);
}

const get = (path: string, options: Parameters<typeof request>[1] = {}): Promise<RawResponse> => request(`${server.http}${path}`, { maxBytes: 64 * 1024, ...options });

const VIEWER_PATHS = ['/streams/NAME', '/streams/NAME/ws', '/streams/NAME/live.mp4', '/streams/NAME/index.m3u8', '/streams/NAME/hls/x-p1.m4s', '/streams/NAME/snapshot.jpg', '/streams/NAME/snapshot.mp4', '/api/streams/NAME', '/api/streams/NAME/markers'];

test('a signed stream: every viewer URL refuses a missing (401), expired, forged, altered or other-stream link (403), with nothing of the stream', async () => {
  const expired = signLink(LINK_SECRET, 'cam', now() - 5).query;
  const good = signLink(LINK_SECRET, 'cam', now() + 600);
  const forged = `exp=${now() + 600}&sig=${'A'.repeat(43)}`;
  const altered = `exp=${good.exp + 1}&sig=${good.sig}`;
  for (const template of VIEWER_PATHS) {
    const path = template.replace('NAME', 'cam');
    const missing = await get(path);
    assertRefused(missing, 401, 'ACCESS_CREDENTIALS_MISSING', path);
    assert.match(String(missing.headers['www-authenticate']), /^Bearer/);
    assertRefused(await get(`${path}?${expired}`), 403, 'LINK_EXPIRED', `${path} expired`);
    assertRefused(await get(`${path}?${forged}`), 403, 'LINK_INVALID', `${path} forged`);
    assertRefused(await get(`${path}?${altered}`), 403, 'LINK_INVALID', `${path} altered`);
    assertRefused(await get(`${path}?${link('inside')}`), 403, 'LINK_INVALID', `${path} another stream's link`);
  }
  const head = await get('/streams/cam/live.mp4', { method: 'HEAD' });
  assert.equal(head.status, 401);
  assert.equal(head.body.length, 0, 'no body in an answer to HEAD');
  const refused = new WsViewer(`${server.ws}/streams/cam/ws?${forged}`);
  await assert.rejects(refused.opened, /HTTP 403/);
  assert.equal(server.viewers.size, 0);
});

test('a signed link opens the page, the WebSocket, live.mp4, snapshots and HLS, whose playlist carries it into every URI', async () => {
  const query = link('cam');
  const mp4 = await get(`/streams/cam/live.mp4?${query}`, { maxBytes: 1 });
  assert.equal(mp4.status, 200);
  assert.equal(mp4.body.toString('latin1', 4, 8).slice(0, mp4.body.length - 4), 'ftyp'.slice(0, mp4.body.length - 4));
  const page = (await get(`/streams/cam?${query}`)).body.toString();
  // The page's <fragcast-player src> carries the link (the element hands its query to every URL it derives), and so do the markers.
  for (const attribute of ['src', 'data-markers']) assert.match(page, new RegExp(`${attribute}="[^"]*\\?${query.replace('&', '&#38;')}"`), attribute);
  assert.equal((await get(`/streams/cam/snapshot.mp4?${query}`)).status, 200);
  assert.equal((await get(`/api/streams/cam/markers?${query}`)).status, 200);

  const viewer = new WsViewer(`${server.ws}/streams/cam/ws?${query}`);
  await waitFor('fragments over the WebSocket', () => viewer.binaries.length > 3);
  viewer.close();

  const playlist = await get(`/streams/cam/index.m3u8?${query}`);
  assert.equal(playlist.status, 200);
  assert.equal(playlist.headers['cache-control'], 'private, no-store');
  const text = playlist.body.toString();
  const uris = [...text.matchAll(/^(hls\/\S+)$|URI="(hls\/[^"]+)"/gm)].map((m) => m[1] ?? m[2]!);
  assert.ok(uris.length > 3 && uris.some((uri) => uri.includes('-i')) && uris.some((uri) => uri.includes('-p')) && uris.some((uri) => uri.includes('-s')), text);
  for (const uri of uris) assert.ok(uri.endsWith(`?${query}`), `${uri} does not carry the link`);
  const part = uris.find((uri) => /-p\d+\.m4s/.test(uri) && !text.includes(`PRELOAD-HINT:TYPE=PART,URI="${uri}"`))!;
  const init = uris.find((uri) => /-i\d+\.mp4/.test(uri))!;
  for (const uri of [part, init]) {
    const media = await get(`/streams/cam/${uri}`);
    assert.equal(media.status, 200, uri);
    assert.equal(media.headers['content-type'], 'video/mp4');
    assertRefused(await get(`/streams/cam/${uri.split('?')[0]}`), 401, 'ACCESS_CREDENTIALS_MISSING', `${uri} without the link`);
  }
  // A public stream's playlist stays the shared, cacheable one.
  const open = await get('/streams/inside/index.m3u8');
  assert.ok(!open.body.toString().includes('?exp=') && open.headers['cache-control'] !== 'private, no-store');
});

test('a JWT stream: a token in the query or a Bearer header opens it; none, expired, other-stream, unsigned or forged tokens do not', async () => {
  const good = token({ streams: ['match'] });
  assert.equal((await get(`/streams/match/live.mp4?token=${good}`, { maxBytes: 1 })).status, 200);
  assert.equal((await get('/streams/match/live.mp4', { maxBytes: 1, headers: { Authorization: `Bearer ${good}` } })).status, 200);
  const playlist = (await get(`/streams/match/index.m3u8?token=${good}`)).body.toString();
  assert.ok(playlist.includes(`?token=${good}"`), 'the token reaches the playlist URIs');

  assertRefused(await get('/streams/match/live.mp4'), 401, 'ACCESS_CREDENTIALS_MISSING', 'no token');
  assertRefused(await get(`/streams/match/live.mp4?token=${token({ streams: ['match'], exp: now() - 60 })}`), 403, 'TOKEN_EXPIRED', 'expired');
  assertRefused(await get(`/streams/match/live.mp4?token=${token({ streams: ['cam'] })}`), 403, 'TOKEN_STREAM_NOT_ALLOWED', 'other stream');
  const unsigned = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${good.split('.')[1]}.`;
  assertRefused(await get(`/streams/match/live.mp4?token=${unsigned}`), 403, 'TOKEN_INVALID', 'alg none');
  assertRefused(await get(`/streams/match/live.mp4?token=${good.slice(0, -2)}xx`), 403, 'TOKEN_INVALID', 'forged');
  assertRefused(await get(`/streams/match/live.mp4?token=${token({ streams: ['match'], aud: 'elsewhere' })}`), 403, 'TOKEN_INVALID', 'audience');
  // A signed link is not what opens a jwt stream.
  assertRefused(await get(`/streams/match/live.mp4?${link('match')}`), 401, 'ACCESS_CREDENTIALS_MISSING', 'a link for a jwt stream');
});

test('an IP allow-list lets its networks in and nobody else, whatever they carry', async () => {
  assert.equal((await get('/streams/inside/live.mp4', { maxBytes: 1, localAddress: '127.0.0.1' })).status, 200);
  assertRefused(await get('/streams/inside/live.mp4', { localAddress: '127.0.0.2' }), 403, 'IP_NOT_ALLOWED', 'from 127.0.0.2');
  assertRefused(await get('/streams/inside/index.m3u8', { localAddress: '127.0.0.2' }), 403, 'IP_NOT_ALLOWED', 'HLS from 127.0.0.2');
});

test('operator routes need the admin token: 401 without, 403 wrong; Basic for the browser, refused cross-site for changes', async () => {
  for (const path of ['/api/sessions', '/api/stats', '/api/config', '/metrics']) {
    const missing = await get(path);
    assertRefused(missing, 401, 'ADMIN_TOKEN_MISSING', path);
    assert.equal(missing.headers['www-authenticate'], 'Bearer realm="fragcast"');
    assertRefused(await get(path, { headers: { Authorization: 'Bearer wrong-token-0123456789' } }), 403, 'ADMIN_TOKEN_INVALID', path);
    assert.equal((await get(path, { headers: { Authorization: `Bearer ${ADMIN}` } })).status, 200, path);
  }
  const stats = await get('/stats');
  assertRefused(stats, 401, 'ADMIN_TOKEN_MISSING', '/stats');
  assert.match(String(stats.headers['www-authenticate']), /^Basic realm="fragcast"/);
  const basic = (password: string): string => `Basic ${Buffer.from(`ops:${password}`).toString('base64')}`;
  assert.equal((await get('/stats', { headers: { Authorization: basic(ADMIN) } })).status, 200);
  assertRefused(await get('/stats', { headers: { Authorization: basic('wrong') } }), 401, 'ADMIN_PASSWORD_INVALID', 'wrong Basic password');
  // Changes: with Basic (which a browser sends by itself) only from the same site; Bearer is never sent by a browser on its own.
  const reload = (headers: Record<string, string>): Promise<RawResponse> => get('/api/reload', { method: 'POST', headers });
  assertRefused(await reload({ Authorization: basic(ADMIN), Origin: 'https://evil.example' }), 403, 'CROSS_SITE_REFUSED', 'cross-site Basic');
  assertRefused(await reload({ Authorization: basic(ADMIN), 'Sec-Fetch-Site': 'cross-site' }), 403, 'CROSS_SITE_REFUSED', 'cross-site Basic (Sec-Fetch-Site)');
  // Past the door, the reload itself fails: this server's configuration text has no file to read again.
  assert.equal(errorCode(await reload({ Authorization: basic(ADMIN), Origin: server.http })), 'CONFIG_UNREADABLE', 'same-site Basic passes the door');
  assert.equal(errorCode(await reload({ Authorization: `Bearer ${ADMIN}`, Origin: 'https://evil.example' })), 'CONFIG_UNREADABLE', 'Bearer passes the door');
  // The admin token also opens every stream.
  assert.equal((await get('/streams/cam/live.mp4', { maxBytes: 1, headers: { Authorization: `Bearer ${ADMIN}` } })).status, 200);
});

test('the stream list and home page show a stranger the public streams only; a link adds its stream; the admin sees all', async () => {
  const names = async (headers: Record<string, string> = {}, query = ''): Promise<string[]> =>
    ((JSON.parse((await get(`/api/streams${query}`, { headers })).body.toString()) as { streams: { name: string }[] }).streams.map((s) => s.name)).sort();
  assert.deepEqual(await names(), ['inside']);
  assert.deepEqual(await names({}, `?${link('cam')}`), ['cam', 'inside']);
  assert.deepEqual(await names({ Authorization: `Bearer ${ADMIN}` }), ['cam', 'inside', 'match']);
  const home = (await get('/')).body.toString();
  assert.ok(home.includes('data-stream="inside"') && !home.includes('data-stream="cam"') && !home.includes('data-stream="match"'));
});

test('POST /api/streams/NAME/links mints a working link; no CORS header ever opens the API', async () => {
  const mint = (name: string, body: unknown): Promise<RawResponse> =>
    get(`/api/streams/${name}/links`, { method: 'POST', headers: { Authorization: `Bearer ${ADMIN}`, 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  const minted = await mint('cam', { ttl: '10m' });
  assert.equal(minted.status, 201, minted.body.toString());
  const answer = JSON.parse(minted.body.toString()) as { expires: number; query: string; links: { mp4: string } };
  assert.ok(Math.abs(answer.expires - (now() + 600)) <= 2);
  assert.equal((await get(answer.links.mp4, { maxBytes: 1 })).status, 200);
  assert.equal(errorCode(await mint('inside', {})), 'LINK_SIGNING_UNAVAILABLE');
  assert.equal(errorCode(await mint('cam', { ttl: '400d' })), 'LINK_REQUEST_INVALID');
  assert.equal(errorCode(await mint('cam', { ip: 'not-an-ip' })), 'LINK_REQUEST_INVALID');
  assertRefused(await get('/api/streams/cam/links', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' }), 401, 'ADMIN_TOKEN_MISSING', 'mint without token');

  for (const method of ['GET', 'OPTIONS']) {
    const config = await get('/api/config', { method, headers: { Authorization: `Bearer ${ADMIN}`, Origin: 'https://evil.example', 'Access-Control-Request-Method': 'GET' } });
    assert.equal(config.headers['access-control-allow-origin'], undefined, method);
  }
  const shown = JSON.parse((await get('/api/config', { headers: { Authorization: `Bearer ${ADMIN}` } })).body.toString()) as { admin: { token: string }; links: { secret: string }; jwt: { secret: string } };
  assert.deepEqual([shown.admin.token, shown.links.secret, shown.jwt.secret], ['<redacted>', '<redacted>', '<redacted>']);
});

test('fragcast refuses to listen beyond loopback without an admin token, unless told', async () => {
  await assert.rejects(startTestServer(undefined, { host: '0.0.0.0', demo: false }), (error: unknown) => error instanceof FragcastError && error.code === 'ADMIN_TOKEN_REQUIRED' && /0\.0\.0\.0/.test(error.message));
  await assert.rejects(startTestServer(undefined, { host: '::', demo: false }), /ADMIN_TOKEN_REQUIRED|not a loopback address/);
});
