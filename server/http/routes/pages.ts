import { FragcastError } from '../../errors.ts';
import { linksWith, summarizeStream } from '../api.ts';
import { homePage, PAGE_HEADERS, playerPage } from '../pages.ts';
import { sendBody, sendError, writeHead } from '../respond.ts';
import { originOf, streamFor, type HttpContext, type Router } from '../router.ts';

/** The home page, the player page, and the client bundles they load. */
export function pageRoutes(router: Router, ctx: HttpContext): void {
  const { registry, viewers, assets } = ctx;

  // Lists the streams this visitor may watch: a private stream is not shown to strangers, not even its name.
  router.route('get', '/', (res, req) => {
    const streams = [...registry.entries()].filter((entry) => ctx.access.mayView(res, req, entry.stream.name)).map((entry) => summarizeStream(entry, viewers, ctx.hls));
    sendBody(res, 200, 'text/html; charset=utf-8', homePage(streams, originOf(req, 'HOST')), PAGE_HEADERS);
  });

  router.route('get', '/streams/:name', (res, req) => {
    const stream = streamFor(ctx, res, req);
    if (!stream) return;
    // The page hands the credential it was opened with to the player's URLs (WebSocket, HLS, markers).
    const { query } = ctx.access.grantOf(req, stream.name);
    const summary = summarizeStream(registry.entry(stream.name)!, viewers, ctx.hls);
    const markers = `/api/streams/${stream.name}/markers${query ? `?${query}` : ''}`;
    sendBody(res, 200, 'text/html; charset=utf-8', playerPage({ ...summary, links: linksWith(summary.links, query) }, markers), PAGE_HEADERS);
  });

  router.route('get', '/assets/:file', (res, req) => {
    const name = req.getParameter(0) ?? '';
    const asset = assets.get(name);
    if (!asset) {
      const unbuilt = name.endsWith('.js') && assets.size === 0;
      sendError(res, unbuilt ? new FragcastError('ASSET_MISSING', { asset: name }) : new FragcastError('NOT_FOUND', { method: 'GET', url: req.getUrl() }));
      return;
    }
    if (req.getHeader('if-none-match') === asset.etag) {
      res.cork(() => {
        writeHead(res, 304, [['ETag', asset.etag]]);
        res.end();
      });
      return;
    }
    sendBody(res, 200, asset.type, asset.body, [
      ['ETag', asset.etag],
      ['Cache-Control', 'no-cache'],
    ]);
  });
}
