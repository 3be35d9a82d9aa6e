import { FragcastError } from '../../errors.ts';
import type { Asset } from '../assets.ts';
import { PUBLIC_ASSET_HEADERS } from '../cors.ts';
import { acceptsGzip, sendBody, sendError, writeHead } from '../respond.ts';
import type { HttpContext, Router } from '../router.ts';
import type { UWS } from '../uws.ts';

/** The files a site's page names in its one-line embed: their URLs never change (docs/embedding.md). */
export const ROOT_ASSETS = ['embed.js', 'player.js'] as const;

/**
 * How long a browser or CDN keeps an asset. Content-hashed chunks never
 * change under their name. The stable names (embed.js, player.js on other
 * sites' pages) are kept a minute, so that a new version reaches every page
 * within a minute of a restart without a request per page view; fragcast's
 * own page bundles are checked every time (an ETag makes that a 304).
 */
const CACHE = {
  immutable: 'public, max-age=31536000, immutable',
  embed: 'public, max-age=60',
  page: 'no-cache',
} as const;

function sendAsset(res: UWS.HttpResponse, req: UWS.HttpRequest, asset: Asset, cache: string): void {
  const gzip = asset.gzip !== undefined && acceptsGzip(req);
  // One ETag per representation: a cache must not answer a gzip request with the plain bytes' validator.
  const etag = gzip ? `${asset.etag.slice(0, -1)}-gz"` : asset.etag;
  const headers: (readonly [string, string])[] = [['ETag', etag], ['Cache-Control', cache], ['Vary', 'Accept-Encoding'], ...PUBLIC_ASSET_HEADERS];
  if (req.getHeader('if-none-match') === etag) {
    res.cork(() => {
      writeHead(res, 304, headers);
      res.end();
    });
    return;
  }
  if (gzip) headers.push(['Content-Encoding', 'gzip']);
  sendBody(res, 200, asset.type, gzip ? asset.gzip! : asset.body, headers);
}

/** `/embed.js` and `/player.js` (the embed's stable URLs), and `/assets/FILE` (bundles, content-hashed chunks, source maps). */
export function assetRoutes(router: Router, ctx: HttpContext): void {
  const { assets } = ctx;
  const missing = (res: UWS.HttpResponse, req: UWS.HttpRequest, name: string): void => {
    const unbuilt = name.endsWith('.js') && assets.size === 0;
    sendError(res, unbuilt ? new FragcastError('ASSET_MISSING', { asset: name }) : new FragcastError('NOT_FOUND', { method: 'GET', url: req.getUrl() }), PUBLIC_ASSET_HEADERS);
  };

  for (const name of ROOT_ASSETS) {
    router.route('get', `/${name}`, (res, req) => {
      const asset = assets.get(name);
      if (asset) sendAsset(res, req, asset, CACHE.embed);
      else missing(res, req, name);
    });
  }

  router.route('get', '/assets/:file', (res, req) => {
    const name = req.getParameter(0) ?? '';
    const asset = assets.get(name);
    if (asset) sendAsset(res, req, asset, asset.immutable ? CACHE.immutable : CACHE.page);
    else missing(res, req, name);
  });
}
