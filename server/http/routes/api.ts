import { summarizeStream } from '../api.ts';
import { sendJson } from '../respond.ts';
import type { HttpContext, Router } from '../router.ts';

/** The JSON API under /api (read-only for now). */
export function apiRoutes(router: Router, ctx: HttpContext): void {
  router.route('get', '/api/streams', (res) => {
    sendJson(res, 200, { streams: [...ctx.registry.entries()].map((entry) => summarizeStream(entry, ctx.viewers, ctx.hls)) });
  });
}
