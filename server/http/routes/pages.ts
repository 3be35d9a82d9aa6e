import { linksWith, summarizeStream } from '../api.ts';
import { homePage, PAGE_HEADERS, PAGE_MODES, playerPage } from '../pages.ts';
import { sendBody } from '../respond.ts';
import { originOf, streamFor, type HttpContext, type Router } from '../router.ts';

/** The home page and the player page (their bundles: routes/assets.ts). */
export function pageRoutes(router: Router, ctx: HttpContext): void {
  const { registry, viewers } = ctx;

  // Lists the streams this visitor may watch: a private stream is not shown to strangers, not even its name.
  router.route('get', '/', (res, req) => {
    const streams = [...registry.entries()].filter((entry) => ctx.access.mayView(res, req, entry.stream.name)).map((entry) => summarizeStream(entry, viewers, ctx.hls));
    sendBody(res, 200, 'text/html; charset=utf-8', homePage(streams, originOf(req, 'HOST'), ctx.assets), PAGE_HEADERS);
  });

  router.route('get', '/streams/:name', (res, req) => {
    const stream = streamFor(ctx, res, req);
    if (!stream) return;
    // The page hands the credential it was opened with to the player's URLs (WebSocket, HLS, markers).
    const { query } = ctx.access.grantOf(req, stream.name);
    const summary = summarizeStream(registry.entry(stream.name)!, viewers, ctx.hls);
    const markers = `/api/streams/${stream.name}/markers${query ? `?${query}` : ''}`;
    const asked = new URLSearchParams(req.getQuery() ?? '').get('mode');
    const mode = PAGE_MODES.find((known) => known === asked) ?? 'auto';
    sendBody(res, 200, 'text/html; charset=utf-8', playerPage({ ...summary, links: linksWith(summary.links, query) }, markers, mode, ctx.assets), PAGE_HEADERS);
  });
}
