import { summarizeStream } from '../api.ts';
import { homePage, PAGE_HEADERS, PAGE_MODES, playerPage } from '../pages.ts';
import { sendBody } from '../respond.ts';
import { originOf, streamFor, type HttpContext, type Router } from '../router.ts';

/** The home page and the player page (their bundles: routes/assets.ts). */
export function pageRoutes(router: Router, ctx: HttpContext): void {
  const { registry, viewers } = ctx;

  router.route('get', '/', (res, req) => {
    const streams = [...registry.entries()].map((entry) => summarizeStream(entry, viewers, ctx.hls));
    sendBody(res, 200, 'text/html; charset=utf-8', homePage(streams, originOf(req, 'HOST')), PAGE_HEADERS);
  });

  router.route('get', '/streams/:name', (res, req) => {
    const stream = streamFor(ctx, res, req);
    if (!stream) return;
    const asked = new URLSearchParams(req.getQuery() ?? '').get('mode');
    const mode = PAGE_MODES.find((known) => known === asked) ?? 'auto';
    sendBody(res, 200, 'text/html; charset=utf-8', playerPage(summarizeStream(registry.entry(stream.name)!, viewers, ctx.hls), mode), PAGE_HEADERS);
  });
}
