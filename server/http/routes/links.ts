import { isIP } from 'node:net';
import { parseDuration } from '../../config/units.ts';
import { FragcastError } from '../../errors.ts';
import { linksWith, summarizeStream } from '../api.ts';
import { readJsonBody } from '../body.ts';
import { sendError, sendJson } from '../respond.ts';
import { requestId, streamFor, type HttpContext, type Router } from '../router.ts';

/** `{"ttl": "1h", "ip": "203.0.113.7"}` is all a request holds. */
const MAX_LINK_BODY_BYTES = 1024;

function invalid(why: string): FragcastError {
  return new FragcastError('LINK_REQUEST_INVALID', { why });
}

/** Reads `{ ttl?, ip? }`: ttl a duration (default 1 h) up to links.max_ttl, ip an address to bind the link to. */
function parseLinkRequest(body: unknown, maxTtl: number): { ttl: number; ip: string | undefined } {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw invalid('the body must be a JSON object');
  const { ttl = 3600, ip, ...rest } = body as Record<string, unknown>;
  const unknown = Object.keys(rest);
  if (unknown.length) throw invalid(`unknown field "${unknown[0]!.slice(0, 40)}" (fields: ttl, ip)`);
  const seconds = parseDuration(ttl);
  if (seconds === undefined || seconds < 1 || seconds > maxTtl) throw invalid(`ttl must be a duration from 1s to ${maxTtl}s (links.max_ttl), such as 3600 or "1h"`);
  if (ip !== undefined && (typeof ip !== 'string' || !isIP(ip))) throw invalid('ip must be an IPv4 or IPv6 address');
  return { ttl: seconds, ip };
}

/** `POST /api/streams/NAME/links` (admin): mints a signed viewer link, as `fragcast sign` does. */
export function linkRoutes(router: Router, ctx: HttpContext): void {
  const log = ctx.logger.child({ module: 'links' });
  router.route('post', '/api/streams/:name/links', (res, req) => {
    const stream = streamFor(ctx, res, req);
    if (!stream) return;
    const id = requestId(req);
    readJsonBody(res, req, { maxBytes: MAX_LINK_BODY_BYTES, timeoutMs: ctx.limits.bodyTimeoutMs }, (body, error, isAborted) => {
      if (isAborted()) return;
      try {
        if (error) throw error;
        const { ttl, ip } = parseLinkRequest(body, ctx.access.maxLinkTtl);
        const link = ctx.access.mint(stream.name, ttl, ip);
        log.info({ req: id, stream: stream.name, expires: link.exp, boundTo: ip }, 'signed link minted');
        const links = linksWith(summarizeStream(ctx.registry.entry(stream.name)!, ctx.viewers, ctx.hls).links, link.query);
        sendJson(res, 201, { stream: stream.name, expires: link.exp, ip: ip ?? null, query: link.query, links }, [['X-Request-Id', id]]);
      } catch (failure) {
        if (!(failure instanceof FragcastError)) throw failure;
        sendError(res, failure);
      }
    });
  });
}
