import { PAGE_HEADERS, statsPage } from '../pages.ts';
import { sendBody } from '../respond.ts';
import type { HttpContext, Router } from '../router.ts';

/** `GET /stats`: the live stats page (its data comes from /api/stats). An operator route: its door is in access.ts. */
export function statsRoutes(router: Router, ctx: HttpContext): void {
  const page = statsPage(ctx.assets);
  router.route('get', '/stats', (res) => sendBody(res, 200, 'text/html; charset=utf-8', page, PAGE_HEADERS));
}
