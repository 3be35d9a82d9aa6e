import { FragcastError } from '../../errors.ts';
import { describeSession, summarizeStream } from '../api.ts';
import { sendError, sendJson } from '../respond.ts';
import { requestId, streamFor, type HttpContext, type Router } from '../router.ts';

/** Session ids as ViewerSession makes them; anything else cannot name a session. */
const SESSION_ID = /^[a-z0-9]{1,32}$/;

/**
 * The control API under /api (docs/api.md, docs/openapi.json). Its doors
 * (access.ts): reading streams is a viewer's (each stream's own rule), the
 * rest an operator's.
 */
export function apiRoutes(router: Router, ctx: HttpContext): void {
  const { registry, viewers } = ctx;
  const log = ctx.logger.child({ module: 'api' });

  // The streams the caller may watch (all of them with the admin token): the list never names a private stream to a stranger.
  router.route('get', '/api/streams', (res, req) => {
    const visible = [...registry.entries()].filter((entry) => ctx.access.mayView(res, req, entry.stream.name));
    sendJson(res, 200, { streams: visible.map((entry) => summarizeStream(entry, viewers, ctx.hls)) });
  });

  router.route('get', '/api/streams/:name', (res, req) => {
    const stream = streamFor(ctx, res, req);
    if (!stream) return;
    sendJson(res, 200, summarizeStream(registry.entry(stream.name)!, viewers, ctx.hls));
  });

  router.route('post', '/api/streams/:name/restart', (res, req) => {
    const stream = streamFor(ctx, res, req);
    if (!stream) return;
    const id = requestId(req);
    const entry = registry.entry(stream.name)!;
    log.info({ req: id, stream: stream.name, state: entry.source.state }, 'source restart requested');
    entry.source.restart('restart requested through the API', { immediate: true });
    sendJson(res, 202, { stream: stream.name, generation: stream.init?.generation ?? 0, state: entry.source.state }, [['X-Request-Id', id]]);
  });

  router.route('get', '/api/sessions', (res, req) => {
    const only = new URLSearchParams(req.getQuery() ?? '').get('stream');
    const now = Date.now();
    const sessions = [];
    for (const session of viewers.list()) if (only === null || session.stream.name === only) sessions.push(describeSession(session.snapshot(), now));
    sendJson(res, 200, { sessions });
  });

  router.route('get', '/api/sessions/:id', (res, req) => {
    const id = req.getParameter(0) ?? '';
    const session = SESSION_ID.test(id) ? viewers.get(id) : undefined;
    if (!session) sendError(res, new FragcastError('SESSION_NOT_FOUND', { session: id.slice(0, 40) }));
    else sendJson(res, 200, describeSession(session.snapshot()));
  });

  router.route('del', '/api/sessions/:id', (res, req) => {
    const id = req.getParameter(0) ?? '';
    const session = SESSION_ID.test(id) ? viewers.get(id) : undefined;
    if (!session) {
      sendError(res, new FragcastError('SESSION_NOT_FOUND', { session: id.slice(0, 40) }));
      return;
    }
    const rid = requestId(req);
    log.info({ req: rid, session: id, stream: session.stream.name, remote: session.remoteAddress }, 'session kicked by an operator');
    session.close('SESSION_KICKED');
    sendJson(res, 200, describeSession(session.snapshot()), [['X-Request-Id', rid]]);
  });

  router.route('get', '/api/stats', (res, req) => {
    const since = Number(new URLSearchParams(req.getQuery() ?? '').get('since') ?? 0);
    const now = Date.now();
    sendJson(res, 200, {
      now,
      intervalMs: ctx.stats.options.intervalMs,
      samples: ctx.stats.samples(Number.isFinite(since) ? since : 0),
      sessions: [...viewers.list()].map((session) => describeSession(session.snapshot(), now)),
    });
  });
}
