import { answerPreflight } from '../cors.ts';
import { streamFor, type HttpContext, type Router } from '../router.ts';

/** The player's HTTP endpoints (the WebSocket needs no preflight: browsers apply no CORS to it). */
const PLAYER_PATHS = ['/streams/:name/live.mp4', '/streams/:name/index.m3u8', '/streams/:name/hls/:file', '/streams/:name/snapshot.jpg', '/streams/:name/snapshot.mp4'];

/**
 * `OPTIONS` on the player's endpoints: CORS preflights. The player itself
 * sends only simple GETs (no preflight); a page that adds headers of its own
 * (hls.js's xhrSetup, a fetch with Range) needs this. Nothing else answers
 * OPTIONS: the API and ingest stay closed to other origins.
 */
export function preflightRoutes(router: Router, ctx: HttpContext): void {
  for (const path of PLAYER_PATHS) {
    router.route('options', path, (res, req) => {
      const stream = streamFor(ctx, res, req);
      if (!stream) return;
      answerPreflight(res, req, ctx.originsFor(stream.name), stream.name);
    });
  }
}
