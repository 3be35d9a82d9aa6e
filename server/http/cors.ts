import { FragcastError } from '../errors.ts';
import type { Stream } from '../streams/stream.ts';
import { addResponseHeaders, sendError, writeHead } from './respond.ts';
import { streamFor, type HttpContext } from './router.ts';
import type { UWS } from './uws.ts';

/**
 * Cross-origin access to a stream's player endpoints (the WebSocket,
 * live.mp4, the HLS playlist and media, snapshots), by the allow-list of
 * web origins in the stream's configuration (`cors.origins`,
 * docs/config.md). It is applied at the door of those routes only: the
 * API, ingest, metrics and pages never answer another origin.
 *
 * A browser says where a page comes from in `Origin` (CORS requests,
 * WebSockets), else, for a no-cors load such as `<video src>` or a poster,
 * in `Referer` (whose origin survives every default referrer policy). A
 * request that names an origin outside the list is refused with 403
 * ORIGIN_NOT_ALLOWED, which is what keeps other sites' WebSockets out: a
 * WebSocket has no CORS. A request that names none (curl, VLC, ffmpeg, a
 * page with `referrerpolicy="no-referrer"`) is let through: this is
 * hotlink control, not authentication (signed links are).
 */

/** An origin pattern: `*`, `https://example.com[:port]`, or `https://*.example.com` (any subdomain, not the domain itself). */
export const ORIGIN_PATTERN = /^(\*|https?:\/\/(\*\.)?([a-z0-9-]+\.)*[a-z0-9-]+(:\d{1,5})?|https?:\/\/\[[0-9a-f:.]+\](:\d{1,5})?)$/;

/** Browsers cache a preflight's answer this many seconds (Chromium caps it at 7200). */
const PREFLIGHT_MAX_AGE_S = 600;

/** Request headers a preflight may ask for: a list of header names, bounded. */
const HEADER_LIST = /^[A-Za-z0-9-]+(\s*,\s*[A-Za-z0-9-]+){0,15}$/;

const policies = new WeakMap<readonly string[], OriginPolicy>();

/** The policy of a (frozen) `cors.origins` list, made once per configuration. */
export function originPolicy(origins: readonly string[]): OriginPolicy {
  let policy = policies.get(origins);
  if (!policy) policies.set(origins, (policy = new OriginPolicy(origins)));
  return policy;
}

export class OriginPolicy {
  readonly any: boolean;
  readonly #exact: ReadonlySet<string>;
  /** `https://*.example.com` as [scheme + '//', '.example.com', port]. */
  readonly #wildcards: readonly { readonly prefix: string; readonly suffix: string }[];

  constructor(patterns: readonly string[]) {
    this.any = patterns.includes('*');
    this.#exact = new Set(patterns.filter((pattern) => !pattern.includes('*')));
    this.#wildcards = patterns
      .filter((pattern) => pattern !== '*' && pattern.includes('*.'))
      .map((pattern) => {
        const [prefix, suffix] = pattern.split('*') as [string, string];
        return { prefix, suffix };
      });
  }

  allows(origin: string): boolean {
    if (this.any || this.#exact.has(origin)) return true;
    return this.#wildcards.some(({ prefix, suffix }) => {
      if (!origin.startsWith(prefix)) return false;
      const rest = origin.slice(prefix.length);
      const at = rest.indexOf(suffix);
      // One or more labels before the suffix, and nothing after it: `https://a.b.example.com` but not `https://example.com.evil`.
      return at > 0 && at + suffix.length === rest.length && /^[a-z0-9.-]+$/.test(rest.slice(0, at)) && !rest.startsWith('.');
    });
  }
}

/** The origin a request comes from, as the browser told it; undefined when it told none. */
function requestOrigin(req: UWS.HttpRequest): string | undefined {
  const origin = req.getHeader('origin');
  if (origin) return origin.toLowerCase();
  const referer = req.getHeader('referer');
  if (!referer) return undefined;
  const match = /^(https?:\/\/[^/?#]+)/i.exec(referer);
  return match?.[1]?.toLowerCase();
}

/** Same origin as the server the request reached (its Host header): always allowed, whatever the list says. */
function sameHost(origin: string, req: UWS.HttpRequest): boolean {
  const host = req.getHeader('host').toLowerCase();
  return host !== '' && origin.slice(origin.indexOf('//') + 2) === host;
}

/** What every answer of an allowed cross-origin request carries. */
function allowHeaders(policy: OriginPolicy, origin: string | undefined): [string, string][] {
  const headers: [string, string][] = [
    // A page that isolates itself (COEP: require-corp) may embed these too.
    ['Cross-Origin-Resource-Policy', 'cross-origin'],
    // hls.js reads a playlist's Age (behind a CDN) to place the live edge.
    ['Access-Control-Expose-Headers', 'Age'],
  ];
  if (policy.any) headers.push(['Access-Control-Allow-Origin', '*']);
  else if (origin) headers.push(['Access-Control-Allow-Origin', origin]);
  // The answer depends on Origin unless every origin gets the same one: tell caches so.
  if (!policy.any) headers.push(['Vary', 'Origin']);
  return headers;
}

/**
 * The door of a player endpoint: decides from the request's origin. When
 * refused, it answers 403 itself and returns false. When allowed, every
 * answer on `res` (the media, a 304, an error) carries the CORS headers, so
 * a page reads fragcast's error codes too.
 */
export function admitOrigin(res: UWS.HttpResponse, req: UWS.HttpRequest, policy: OriginPolicy, stream: string): boolean {
  const origin = requestOrigin(req);
  const allowed = origin === undefined || policy.allows(origin) || sameHost(origin, req);
  if (!allowed) {
    sendError(res, new FragcastError('ORIGIN_NOT_ALLOWED', { origin: origin.slice(0, 200), stream }), [['Vary', 'Origin']]);
    return false;
  }
  addResponseHeaders(res, allowHeaders(policy, origin));
  return true;
}

/** The door of every player endpoint: the stream named by route parameter 0 (streamFor), if the request's origin may play it. */
export function playerStreamFor(ctx: HttpContext, res: UWS.HttpResponse, req: UWS.HttpRequest): Stream | undefined {
  const stream = streamFor(ctx, res, req);
  if (!stream || !admitOrigin(res, req, ctx.originsFor(stream.name), stream.name)) return undefined;
  return stream;
}

/** Answers a CORS preflight (OPTIONS) for a player endpoint: 204 with what may follow, or 403. */
export function answerPreflight(res: UWS.HttpResponse, req: UWS.HttpRequest, policy: OriginPolicy, stream: string): void {
  const asked = req.getHeader('access-control-request-headers');
  if (!admitOrigin(res, req, policy, stream)) return;
  const headers: [string, string][] = [
    ['Access-Control-Allow-Methods', 'GET, HEAD, OPTIONS'],
    ['Access-Control-Max-Age', String(PREFLIGHT_MAX_AGE_S)],
  ];
  if (HEADER_LIST.test(asked)) headers.push(['Access-Control-Allow-Headers', asked]);
  res.cork(() => {
    writeHead(res, 204, headers);
    res.endWithoutBody();
  });
}

/** Public code (embed.js, player.js, their chunks): any page may load it, and it tells nothing about a stream. */
export const PUBLIC_ASSET_HEADERS: readonly (readonly [string, string])[] = Object.freeze([
  ['Access-Control-Allow-Origin', '*'],
  ['Cross-Origin-Resource-Policy', 'cross-origin'],
]);
