import { answerLater, asFragcastError, sendBody, sendError } from '../respond.ts';
import type { HttpContext, Router } from '../router.ts';

/** `GET /metrics`: Prometheus text format (docs/metrics.md). An operator route: its door is in access.ts. */
export function metricsRoutes(router: Router, ctx: HttpContext): void {
  const log = ctx.logger.child({ module: 'metrics' });
  router.route('get', '/metrics', (res) => {
    const open = answerLater(res);
    ctx.metrics.text().then(
      (text) => open() && sendBody(res, 200, ctx.metrics.contentType, text, [['Cache-Control', 'no-store']]),
      (error: unknown) => {
        log.error({ err: error }, 'collecting metrics failed');
        if (open()) sendError(res, asFragcastError(error));
      },
    );
  });
}
