import assert from 'node:assert/strict';
import { createHmac, generateKeyPairSync, sign } from 'node:crypto';
import { test } from 'node:test';
import { doorOf, plainAddress } from '../http/access.ts';
import { IpAllowList, isLoopbackHost, parseCidr } from '../http/cidr.ts';
import { verifyJwt, type JwtPolicy } from '../http/jwt.ts';
import { addressKey } from '../http/limits.ts';
import { signLink, verifyLink } from '../http/signed-links.ts';

const SECRET = 'link-secret-for-tests';
const NOW = Date.parse('2026-11-21T20:00:00Z');
const IN_AN_HOUR = NOW / 1000 + 3600;

test('signed links: the right link passes; expired, forged, altered, malformed and other-stream links do not', () => {
  const link = signLink(SECRET, 'cam', IN_AN_HOUR);
  assert.equal(link.query, `exp=${IN_AN_HOUR}&sig=${link.sig}`);
  assert.deepEqual(verifyLink(SECRET, 'cam', String(IN_AN_HOUR), link.sig, '192.0.2.1', NOW), { ok: true });
  // The hex form of the same HMAC is accepted too (what a shell script with openssl makes).
  const hex = createHmac('sha256', SECRET).update(`cam:${IN_AN_HOUR}`).digest('hex');
  assert.deepEqual(verifyLink(SECRET, 'cam', String(IN_AN_HOUR), hex, '192.0.2.1', NOW), { ok: true });

  assert.deepEqual(verifyLink(SECRET, 'cam', null, null, '192.0.2.1', NOW), { ok: false, reason: 'missing' });
  const past = signLink(SECRET, 'cam', NOW / 1000 - 1);
  assert.deepEqual(verifyLink(SECRET, 'cam', String(past.exp), past.sig, '192.0.2.1', NOW), { ok: false, reason: 'expired', exp: past.exp });
  const invalid = { ok: false, reason: 'invalid' };
  assert.deepEqual(verifyLink(SECRET, 'other', String(IN_AN_HOUR), link.sig, '192.0.2.1', NOW), invalid, 'another stream');
  assert.deepEqual(verifyLink(SECRET, 'cam', String(IN_AN_HOUR + 1), link.sig, '192.0.2.1', NOW), invalid, 'a longer life');
  assert.deepEqual(verifyLink('another-secret-0123', 'cam', String(IN_AN_HOUR), link.sig, '192.0.2.1', NOW), invalid, 'another key');
  assert.deepEqual(verifyLink(SECRET, 'cam', String(IN_AN_HOUR), `${link.sig.slice(0, -1)}A`, '192.0.2.1', NOW), invalid, 'one character changed');
  for (const [exp, sig] of [[String(IN_AN_HOUR), null], [null, link.sig], ['1e9', link.sig], [String(IN_AN_HOUR), 'short'], [String(IN_AN_HOUR), `${link.sig}=`]] as const) {
    assert.deepEqual(verifyLink(SECRET, 'cam', exp, sig, '192.0.2.1', NOW), invalid, `${exp} ${sig}`);
  }
  // An expired link that was also forged says "invalid": nothing about the real expiry leaks.
  assert.deepEqual(verifyLink(SECRET, 'cam', String(NOW / 1000 - 1), link.sig, '192.0.2.1', NOW), invalid);
});

test('signed links bound to an address pass only from that address', () => {
  const bound = signLink(SECRET, 'cam', IN_AN_HOUR, '198.51.100.7');
  assert.deepEqual(verifyLink(SECRET, 'cam', String(IN_AN_HOUR), bound.sig, '198.51.100.7', NOW), { ok: true });
  assert.deepEqual(verifyLink(SECRET, 'cam', String(IN_AN_HOUR), bound.sig, '198.51.100.8', NOW), { ok: false, reason: 'invalid' });
});

function jwt(header: object, claims: object, key: (signed: string) => Buffer): string {
  const head = Buffer.from(JSON.stringify(header)).toString('base64url');
  const body = Buffer.from(JSON.stringify(claims)).toString('base64url');
  return `${head}.${body}.${key(`${head}.${body}`).toString('base64url')}`;
}

const HS_SECRET = 'jwt-secret-for-tests-0123456789-0123';
const hs = (signed: string): Buffer => createHmac('sha256', HS_SECRET).update(signed).digest();
const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const rs = (signed: string): Buffer => sign('RSA-SHA256', Buffer.from(signed), privateKey);
const POLICY: JwtPolicy = { algorithms: ['HS256', 'RS256'], secret: HS_SECRET, publicKey, audience: 'fragcast', issuer: 'tickets', streamsClaim: 'streams', leewaySeconds: 30 };
const CLAIMS = { exp: IN_AN_HOUR, aud: 'fragcast', iss: 'tickets', streams: ['match'] };

test('JWT: HS256 and RS256 tokens naming the stream pass', () => {
  assert.deepEqual(verifyJwt(POLICY, jwt({ alg: 'HS256', typ: 'JWT' }, CLAIMS, hs), 'match', NOW), { ok: true });
  assert.deepEqual(verifyJwt(POLICY, jwt({ alg: 'RS256' }, CLAIMS, rs), 'match', NOW), { ok: true });
  assert.deepEqual(verifyJwt(POLICY, jwt({ alg: 'HS256' }, { ...CLAIMS, aud: ['other', 'fragcast'], streams: '*' }, hs), 'any', NOW), { ok: true });
  // Within the leeway.
  assert.deepEqual(verifyJwt(POLICY, jwt({ alg: 'HS256' }, { ...CLAIMS, exp: NOW / 1000 - 20, nbf: NOW / 1000 + 20 }, hs), 'match', NOW), { ok: true });
});

test('JWT: none, unconfigured algorithms, alg confusion, bad signatures, expiry, nbf, aud, iss and other streams are refused', () => {
  const reason = (token: string, stream = 'match', policy = POLICY): string => {
    const verdict = verifyJwt(policy, token, stream, NOW);
    return verdict.ok ? 'ok' : verdict.reason === 'invalid' ? `invalid: ${verdict.why}` : verdict.reason;
  };
  const unsigned = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify(CLAIMS)).toString('base64url')}.`;
  assert.match(reason(unsigned), /invalid: algorithm "none" is not accepted/);
  assert.match(reason(jwt({ alg: 'HS512' }, CLAIMS, hs)), /invalid: algorithm "HS512"/);
  assert.match(reason(jwt({ alg: 'HS256' }, CLAIMS, hs), 'match', { ...POLICY, algorithms: ['RS256'] }), /invalid: algorithm "HS256" is not accepted \(accepted: RS256\)/);
  // The RS256 public key used as an HS256 secret: the classic confusion. HS256 has its own key here.
  const confused = jwt({ alg: 'HS256' }, CLAIMS, (signed) => createHmac('sha256', publicKey.export({ type: 'spki', format: 'pem' })).update(signed).digest());
  assert.match(reason(confused), /invalid: bad signature/);
  const good = jwt({ alg: 'HS256' }, CLAIMS, hs);
  const [head, , sig] = good.split('.');
  const widened = `${head}.${Buffer.from(JSON.stringify({ ...CLAIMS, streams: ['*'] })).toString('base64url')}.${sig}`;
  assert.match(reason(widened), /invalid: bad signature/);
  assert.match(reason('not.a.jwt!'), /invalid: not three base64url parts/);
  assert.match(reason('a.b'), /invalid: not three base64url parts/);
  assert.match(reason('x'.repeat(5000)), /invalid: longer than/);
  assert.equal(reason(jwt({ alg: 'HS256' }, { ...CLAIMS, exp: NOW / 1000 - 31 }, hs)), 'expired');
  assert.equal(reason(jwt({ alg: 'HS256' }, { ...CLAIMS, exp: undefined }, hs)), 'expired');
  assert.match(reason(jwt({ alg: 'HS256' }, { ...CLAIMS, nbf: NOW / 1000 + 60 }, hs)), /invalid: not valid yet/);
  assert.match(reason(jwt({ alg: 'HS256' }, { ...CLAIMS, aud: 'someone-else' }, hs)), /invalid: aud/);
  assert.match(reason(jwt({ alg: 'HS256' }, { ...CLAIMS, iss: 'mallory' }, hs)), /invalid: iss/);
  assert.equal(reason(good, 'other'), 'stream');
  assert.equal(reason(jwt({ alg: 'HS256' }, { ...CLAIMS, streams: undefined }, hs)), 'stream');
});

test('IP allow-lists: IPv4, IPv6, IPv4-mapped forms as uWS writes them; nothing else passes', () => {
  const list = new IpAllowList(['10.0.0.0/8', '192.0.2.7', '2001:db8::/32']);
  for (const address of ['10.1.2.3', '::ffff:10.1.2.3', '0000:0000:0000:0000:0000:ffff:0a01:0203', '192.0.2.7', '2001:db8:1::5', '2001:0db8:0000:0000:0000:0000:0000:0001']) {
    assert.ok(list.allows(address), address);
  }
  for (const address of ['11.0.0.1', '192.0.2.8', '2001:db9::1', '', 'garbage', '10.0.0.1/8']) assert.ok(!list.allows(address), address);
  assert.ok(new IpAllowList([]).allows('203.0.113.9'), 'no list: any address');
  assert.equal(parseCidr('10.0.0.0/33'), undefined);
  assert.equal(parseCidr('10.0.0.0/'), undefined);
  assert.equal(parseCidr('host.example/8'), undefined);
  assert.deepEqual(['127.0.0.1', '127.9.9.9', '::1', '[::1]', 'localhost', '0.0.0.0', '::', '192.0.2.1'].map(isLoopbackHost), [true, true, true, true, true, false, false, false]);
  assert.equal(plainAddress('0000:0000:0000:0000:0000:ffff:7f00:0001'), '127.0.0.1');
  assert.equal(plainAddress('::ffff:192.0.2.1'), '192.0.2.1');
  assert.equal(plainAddress('2001:db8::1'), '2001:db8::1');
  assert.equal(addressKey('2001:db8:1:2:3:4:5:6'), '2001:db8:1:2::/64');
  assert.equal(addressKey('2001:db8:1:2::9'), addressKey('2001:db8:1:2:ffff::1'));
  assert.equal(addressKey('2001:db8::1'), '2001:db8:0:0::/64');
  assert.equal(addressKey('192.0.2.1'), '192.0.2.1');
});

test('every route has a door, and a route the table does not name cannot be registered', () => {
  assert.equal(doorOf('GET', '/streams/:name/live.mp4'), 'viewer');
  assert.equal(doorOf('GET', '/streams/:name/hls/:file'), 'viewer');
  assert.equal(doorOf('GET', '/api/streams/:name/markers'), 'viewer');
  assert.equal(doorOf('POST', '/api/streams/:name/markers'), 'admin');
  assert.equal(doorOf('DELETE', '/api/sessions/:id'), 'admin');
  assert.equal(doorOf('GET', '/api/config'), 'admin');
  assert.equal(doorOf('GET', '/metrics'), 'admin');
  assert.equal(doorOf('PUT', '/ingest/:name'), 'publisher');
  assert.equal(doorOf('GET', '/healthz'), 'public');
  assert.equal(doorOf('GET', '/embed.js'), 'public');
  assert.equal(doorOf('OPTIONS', '/streams/:name/*'), 'public');
  assert.equal(doorOf('OPTIONS', '/api/*'), 'admin', 'no preflight opens the API');
  assert.throws(() => doorOf('GET', '/debug/heap'), /has no door in server\/http\/access\.ts/);
  assert.throws(() => doorOf('DELETE', '/streams/:name'), /has no door/);
});
