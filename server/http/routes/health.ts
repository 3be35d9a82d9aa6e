import { FragcastError } from '../../errors.ts';
import { sendError, sendJson } from '../respond.ts';
import type { HttpContext, Router } from '../router.ts';

/**
 * Liveness and readiness probes (docs/api.md). Separate from /api and
 * public (access.ts): probes (a load balancer, Kubernetes) have no token.
 */
export function healthRoutes(router: Router, ctx: HttpContext): void {
  const startedAt = Date.now();

  // Alive: the event loop answers. Nothing else is checked, so a slow source never gets the process restarted.
  router.route('get', '/healthz', (res) => {
    sendJson(res, 200, { status: 'ok', uptimeSeconds: Math.round((Date.now() - startedAt) / 1000) });
  });

  // Ready: every stream has a keyframe, so a viewer sent here starts at once. (Every configured stream is always-on today.)
  router.route('get', '/readyz', (res) => {
    const streams: Record<string, boolean> = {};
    const waiting: string[] = [];
    for (const { stream } of ctx.registry.entries()) {
      const ready = stream.init !== undefined && stream.cache.newest !== undefined;
      streams[stream.name] = ready;
      if (!ready) waiting.push(stream.name);
    }
    if (waiting.length) sendError(res, new FragcastError('SERVER_NOT_READY', { streams: waiting.map((name) => `"${name}"`).join(', ') }), [['Retry-After', '1']]);
    else sendJson(res, 200, { status: 'ready', streams });
  });
}
