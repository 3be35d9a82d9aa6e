import { FragcastError } from '../../errors.ts';
import { sendError, sendJson } from '../respond.ts';
import type { HttpContext, Router } from '../router.ts';

/**
 * The configuration API: `GET /api/config` (the running configuration, every
 * secret redacted) and `POST /api/reload`. Operator routes: their door is
 * in access.ts.
 */
export function configRoutes(router: Router, ctx: HttpContext): void {
  router.route('get', '/api/config', (res) => sendJson(res, 200, ctx.control.config()));

  router.route('post', '/api/reload', (res) => {
    let aborted = false;
    res.onAborted(() => (aborted = true));
    ctx.control.reload().then(
      (report) => {
        if (!aborted) sendJson(res, 200, { reloaded: true, ...report });
      },
      (error: unknown) => {
        if (aborted) return;
        sendError(res, error instanceof FragcastError ? error : new FragcastError('INTERNAL_ERROR', { why: (error as Error)?.message ?? String(error) }));
      },
    );
  });
}
