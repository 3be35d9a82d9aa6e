import { createHash, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import { publicKeyOf } from '../config/pem.ts';
import type { FragcastConfig, StreamConfig } from '../config/schema.ts';
import { FragcastError } from '../errors.ts';
import { isValidStreamName } from '../streams/stream-name.ts';
import { IpAllowList } from './cidr.ts';
import { verifyJwt, type JwtPolicy } from './jwt.ts';
import { remoteAddressOf, sendError } from './respond.ts';
import { signLink, verifyLink, type SignedLink } from './signed-links.ts';
import type { UWS } from './uws.ts';

/**
 * Who may pass which door (docs/security.md). Every route has a door,
 * declared in one table (DOORS) by method and pattern; the Router asks for
 * it when a route is registered, and a route that no line of the table
 * names cannot be registered at all: a new route is closed until someone
 * decides who may use it.
 *
 * - public: anyone (the home page, bundles, probes, the stream list — which
 *   shows each caller only the streams they may watch).
 * - viewer: the stream named by the route's first parameter decides: its
 *   IP allow-list, then its access mode (public, signed link, JWT). The
 *   admin token opens every stream too.
 * - admin: the operator routes; the admin IP allow-list, then the admin
 *   token (Bearer, or Basic for the browser pages).
 * - publisher: push ingest; the push source's IP allow-list here, its
 *   publish key in routes/ingest.ts (PushSource.authorize).
 */
export type Door = 'public' | 'viewer' | 'admin' | 'publisher';

const DOORS: readonly (readonly [method: RegExp, pattern: RegExp, door: Door])[] = [
  [/^GET$/, /^\/$/, 'public'],
  [/^GET$/, /^\/assets\/:file$/, 'public'],
  // The embeddable player's code (issue 5): tells nothing of any stream.
  [/^GET$/, /^\/(embed|player)\.js$/, 'public'],
  // CORS preflights: browsers send them without credentials, and they answer only which methods and headers may follow.
  [/^OPTIONS$/, /^\/streams\/:name\/([^/]+|hls\/:file)$/, 'public'],
  [/^GET$/, /^\/(healthz|readyz)$/, 'public'],
  [/^GET$/, /^\/api\/streams$/, 'public'],
  [/^(GET|HEAD)$/, /^\/streams\/:name(\/[^/]+|\/hls\/:file)?$/, 'viewer'],
  [/^GET$/, /^\/api\/streams\/:name(\/markers)?$/, 'viewer'],
  [/^(GET|PUT|POST)$/, /^\/ingest\/:name(\/ws)?$/, 'publisher'],
  [/^[A-Z]+$/, /^\/api\//, 'admin'],
  [/^GET$/, /^\/(stats|metrics)$/, 'admin'],
];

/** The door of a route; throws for a route the table does not name (fail closed). */
export function doorOf(method: string, pattern: string): Door {
  const line = DOORS.find(([m, p]) => m.test(method) && p.test(pattern));
  if (!line) throw new Error(`route ${method} ${pattern} has no door in server/http/access.ts: decide who may use it`);
  return line[2];
}

/** Query parameters that carry a viewer's credential, and are carried on into the URLs a page or playlist hands out. */
const CREDENTIAL_PARAMS = ['exp', 'sig', 'token'] as const;

interface Policy {
  readonly adminToken: Buffer | undefined;
  readonly adminAllow: IpAllowList;
  readonly trustedProxies: IpAllowList;
  readonly linkSecret: string | undefined;
  readonly jwt: JwtPolicy | undefined;
  /** Viewer allow-lists by stream name; `defaults` for streams the configuration does not name. */
  readonly viewerAllow: Map<string, IpAllowList>;
  readonly defaultAllow: IpAllowList;
  readonly publisherAllow: Map<string, IpAllowList>;
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

function compile(config: FragcastConfig, fallbackAdminToken: string | undefined): Policy {
  const viewerAllow = new Map<string, IpAllowList>();
  const publisherAllow = new Map<string, IpAllowList>();
  for (const [name, stream] of Object.entries(config.streams)) {
    viewerAllow.set(name, new IpAllowList(stream.allow));
    if (stream.source.kind === 'push') publisherAllow.set(name, new IpAllowList(stream.source.allow));
  }
  const jwt = config.jwt;
  const adminToken = config.admin.token ?? fallbackAdminToken;
  return {
    adminToken: adminToken === undefined ? undefined : digest(adminToken),
    adminAllow: new IpAllowList(config.admin.allow),
    trustedProxies: new IpAllowList(config.listen.trusted_proxies),
    linkSecret: config.links.secret,
    jwt: jwt && {
      algorithms: jwt.algorithms,
      secret: jwt.secret,
      publicKey: jwt.public_key === undefined ? undefined : publicKeyOf(jwt.public_key),
      audience: jwt.audience,
      issuer: jwt.issuer,
      streamsClaim: jwt.streams_claim,
      leewaySeconds: jwt.leeway,
    },
    viewerAllow,
    defaultAllow: new IpAllowList(config.defaults.allow),
    publisherAllow,
  };
}

/** `Authorization: Bearer X` or the password of `Basic base64(user:X)`. */
function presentedCredential(req: UWS.HttpRequest): { readonly scheme: 'bearer' | 'basic'; readonly value: string } | undefined {
  const header = req.getHeader('authorization');
  const bearer = /^Bearer +([\x21-\x7e]{1,4096})$/i.exec(header);
  if (bearer) return { scheme: 'bearer', value: bearer[1]! };
  const basic = /^Basic +([A-Za-z0-9+/=]{1,4096})$/i.exec(header);
  if (!basic) return undefined;
  const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? undefined : { scheme: 'basic', value: decoded.slice(colon + 1) };
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** A request from another site: the browser says so (Sec-Fetch-Site), or its Origin names another host than the one asked. */
function isCrossSite(req: UWS.HttpRequest): string | undefined {
  const site = req.getHeader('sec-fetch-site');
  const origin = req.getHeader('origin');
  if (site && site !== 'same-origin' && site !== 'none') return origin || site;
  if (!origin) return undefined;
  let host: string;
  try {
    host = new URL(origin).host;
  } catch {
    return origin;
  }
  return host === req.getHeader('host') ? undefined : origin;
}

/** The viewer's credential, if the request has one: what a handler needs to hand on (page links, playlist URIs). */
export interface ViewerGrant {
  /** The credential as a query string (`exp=…&sig=…`, `token=…`) to append to the stream's URLs; empty when it came in a header or is not needed. */
  readonly query: string;
}

const OPEN: ViewerGrant = Object.freeze({ query: '' });

/**
 * The access rules of the running configuration, at the doors of the
 * routes. Compiled once per configuration (a reload brings a new one).
 */
export class Access {
  readonly #config: () => FragcastConfig;
  readonly #adminToken: string | undefined;
  readonly #compiled = new WeakMap<FragcastConfig, Policy>();
  readonly #now: () => number;

  /** `adminToken` applies when the configuration has no admin.token (FRAGCAST_ADMIN_TOKEN). */
  constructor(options: { readonly config: () => FragcastConfig; readonly adminToken?: string | undefined; readonly now?: () => number }) {
    this.#config = options.config;
    this.#adminToken = options.adminToken;
    this.#now = options.now ?? Date.now;
  }

  /** Whether the operator routes need a token. */
  get adminTokenSet(): boolean {
    return this.#policy.adminToken !== undefined;
  }

  get #policy(): Policy {
    const config = this.#config();
    let policy = this.#compiled.get(config);
    if (!policy) this.#compiled.set(config, (policy = compile(config, this.#adminToken)));
    return policy;
  }

  /**
   * The client's address: the peer's, or, when the peer is a trusted proxy
   * (listen.trusted_proxies), the nearest address of X-Forwarded-For that
   * is not one. IPv4-mapped IPv6 is written as IPv4.
   */
  clientAddress(res: UWS.HttpResponse, req: UWS.HttpRequest): string {
    const peer = plainAddress(remoteAddressOf(res));
    const trusted = this.#policy.trustedProxies;
    if (!trusted.contains(peer)) return peer;
    const hops = req.getHeader('x-forwarded-for').split(',').map((hop) => plainAddress(hop.trim()));
    for (let i = hops.length - 1; i >= 0; i--) {
      const hop = hops[i]!;
      if (!isIP(hop)) return peer;
      if (!trusted.contains(hop)) return hop;
    }
    return peer;
  }

  /** Checks the door of a request; answers the refusal itself (in the one JSON shape) and returns false. */
  pass(door: Door, res: UWS.HttpResponse, req: UWS.HttpRequest): boolean {
    if (door === 'public') return true;
    const address = this.clientAddress(res, req);
    let refusal: FragcastError | undefined;
    let challenge: string | undefined;
    if (door === 'admin') {
      refusal = this.adminRefusal(req, address);
      challenge = req.getUrl() === '/stats' ? 'Basic realm="fragcast", charset="UTF-8"' : 'Bearer realm="fragcast"';
    } else if (door === 'viewer') {
      refusal = this.viewerRefusal(req, req.getParameter(0) ?? '', address);
      challenge = 'Bearer realm="fragcast"';
    } else {
      const allow = this.#policy.publisherAllow.get(req.getParameter(0) ?? '');
      if (allow && !allow.allows(address)) refusal = new FragcastError('IP_NOT_ALLOWED', { address, what: 'this push stream' });
    }
    if (!refusal) return true;
    sendError(res, refusal, refusal.status === 401 && challenge ? [['WWW-Authenticate', challenge]] : []);
    return false;
  }

  /** Why an operator request is refused, or undefined when it may pass. */
  adminRefusal(req: UWS.HttpRequest, address: string): FragcastError | undefined {
    const policy = this.#policy;
    if (!policy.adminAllow.allows(address)) return new FragcastError('IP_NOT_ALLOWED', { address, what: 'the operator routes' });
    if (!policy.adminToken) return undefined;
    const presented = presentedCredential(req);
    if (!presented) return new FragcastError('ADMIN_TOKEN_MISSING');
    if (!timingSafeEqual(digest(presented.value), policy.adminToken)) {
      return new FragcastError(presented.scheme === 'basic' ? 'ADMIN_PASSWORD_INVALID' : 'ADMIN_TOKEN_INVALID');
    }
    // A browser sends Basic credentials by itself, to any request to this host, from any site: refuse changes that another site asked for.
    const method = req.getCaseSensitiveMethod().toUpperCase();
    if (presented.scheme === 'basic' && !SAFE_METHODS.has(method)) {
      const origin = isCrossSite(req);
      if (origin !== undefined) return new FragcastError('CROSS_SITE_REFUSED', { method, origin: origin.slice(0, 100) });
    }
    return undefined;
  }

  /** Whether the request carries the right admin token (viewer routes let operators in). */
  #isAdmin(req: UWS.HttpRequest): boolean {
    const token = this.#policy.adminToken;
    const presented = presentedCredential(req);
    return token !== undefined && presented !== undefined && timingSafeEqual(digest(presented.value), token);
  }

  /**
   * Why a viewer request for stream `name` is refused, or undefined when it
   * may pass. Runs for every HLS part request too: measured 9 µs for a
   * signed link (two HMACs) and 3 µs for an allow-list on the 2-core dev
   * machine under load, some 6 % of a core for 1,000 LL-HLS viewers at five
   * parts a second each.
   */
  viewerRefusal(req: UWS.HttpRequest, name: string, address: string): FragcastError | undefined {
    // A malformed name is the handler's to answer (400); no stream is served for it.
    if (!isValidStreamName(name)) return undefined;
    const policy = this.#policy;
    const stream = this.#streamConfig(name);
    if (this.#isAdmin(req)) return undefined;
    const allow = policy.viewerAllow.get(name) ?? policy.defaultAllow;
    if (!allow.allows(address)) return new FragcastError('IP_NOT_ALLOWED', { address, what: `stream "${name}"` });
    const params = new URLSearchParams(req.getQuery() ?? '');
    const now = this.#now();
    if (stream.access === 'signed') {
      const verdict = verifyLink(policy.linkSecret ?? '', name, params.get('exp'), params.get('sig'), address, now);
      if (verdict.ok) return undefined;
      if (verdict.reason === 'missing') return new FragcastError('ACCESS_CREDENTIALS_MISSING', { stream: name, how: 'open it with a signed link (?exp=…&sig=…)' });
      if (verdict.reason === 'expired') return new FragcastError('LINK_EXPIRED', { stream: name, expired: new Date(verdict.exp! * 1000).toISOString() });
      return new FragcastError('LINK_INVALID', { stream: name });
    }
    if (stream.access === 'jwt') {
      const bearer = presentedCredential(req);
      const token = params.get('token') ?? (bearer?.scheme === 'bearer' ? bearer.value : undefined);
      if (!token) return new FragcastError('ACCESS_CREDENTIALS_MISSING', { stream: name, how: 'present a token (?token=… or Authorization: Bearer …)' });
      const verdict = verifyJwt(policy.jwt!, token, name, now);
      if (verdict.ok) return undefined;
      if (verdict.reason === 'expired') return new FragcastError('TOKEN_EXPIRED', { expired: verdict.exp === undefined ? 'an unknown time (no exp claim)' : new Date(verdict.exp * 1000).toISOString() });
      if (verdict.reason === 'stream') return new FragcastError('TOKEN_STREAM_NOT_ALLOWED', { stream: name });
      return new FragcastError('TOKEN_INVALID', { why: verdict.why });
    }
    return undefined;
  }

  /** Whether this request may see stream `name` (the stream list and home page show only those). */
  mayView(res: UWS.HttpResponse, req: UWS.HttpRequest, name: string): boolean {
    return this.viewerRefusal(req, name, this.clientAddress(res, req)) === undefined;
  }

  /** The credential a request that passed the viewer door carries, to hand on in the URLs given back to it. */
  grantOf(req: UWS.HttpRequest, name: string): ViewerGrant {
    if (this.#streamConfig(name).access === 'public') return OPEN;
    const params = new URLSearchParams(req.getQuery() ?? '');
    const kept = new URLSearchParams();
    for (const key of CREDENTIAL_PARAMS) {
      const value = params.get(key);
      if (value !== null) kept.set(key, value);
    }
    const query = kept.toString();
    return query ? { query } : OPEN;
  }

  /** Mints a signed link (POST /api/streams/NAME/links); LINK_SIGNING_UNAVAILABLE when the stream does not take them. */
  mint(name: string, ttlSeconds: number, ip?: string): SignedLink {
    const secret = this.#policy.linkSecret;
    if (this.#streamConfig(name).access !== 'signed') throw new FragcastError('LINK_SIGNING_UNAVAILABLE', { stream: name, why: `its access is "${this.#streamConfig(name).access}", not "signed"` });
    if (!secret) throw new FragcastError('LINK_SIGNING_UNAVAILABLE', { stream: name, why: 'links.secret is not set' });
    return signLink(secret, name, Math.floor(this.#now() / 1000) + Math.round(ttlSeconds), ip);
  }

  /** The longest lifetime a link may be minted with (links.max_ttl), in seconds. */
  get maxLinkTtl(): number {
    return this.#config().links.max_ttl;
  }

  #streamConfig(name: string): Pick<StreamConfig, 'access'> {
    const config = this.#config();
    return Object.hasOwn(config.streams, name) ? config.streams[name]! : config.defaults;
  }
}

/** `::ffff:192.0.2.1` and its long form (as uWS writes it) as `192.0.2.1`; anything else as given. */
export function plainAddress(address: string): string {
  const text = address.toLowerCase();
  const dotted = /^(?:0{0,4}:){2,5}ffff:(\d{1,3}(?:\.\d{1,3}){3})$/.exec(text);
  if (dotted) return dotted[1]!;
  const hex = /^(?:0{0,4}:){2,5}ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(text);
  if (!hex) return address;
  const high = parseInt(hex[1]!, 16);
  const low = parseInt(hex[2]!, 16);
  return `${high >> 8}.${high & 0xff}.${low >> 8}.${low & 0xff}`;
}
