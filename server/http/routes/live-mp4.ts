import { HttpMp4Session, LIVE_MP4_HEADERS } from '../../outputs/http-mp4.ts';
import type { UWS } from '../uws.ts';
import { doorHeadersOf, writeHead } from '../respond.ts';
import { servedByThread } from '../fanout/bridged.ts';
import { playerStreamFor } from '../cors.ts';
import type { HttpContext, Router } from '../router.ts';

/** `GET|HEAD /streams/NAME/live.mp4`: the chunked fragmented MP4 output. */
export function liveMp4Routes(router: Router, ctx: HttpContext): void {
  router.route('get', '/streams/:name/live.mp4', (res, req) => {
    const stream = playerStreamFor(ctx, res, req);
    if (!stream) return;
    const address = ctx.access.clientAddress(res, req);
    if (!ctx.limits.admitViewer(res, stream, address)) return;
    // A fan-out thread holds the socket: it writes the head and serves the viewer; its twin is counted here.
    if (servedByThread(ctx, res, 'http-mp4', stream, address, [...doorHeadersOf(res), ...LIVE_MP4_HEADERS])) return;
    const session = new HttpMp4Session(res, stream, address, ctx.gateFor(stream.name));
    session.once('close', ctx.limits.hold(address));
    res.onAborted(() => session.close('peer'));
    res.cork(() => {
      // uWS sends the status and headers with the first body chunk: at once when the stream has an
      // init, else when its init arrives (the player waits, as for a slow server).
      writeHead(res, 200, LIVE_MP4_HEADERS);
      ctx.viewers.add(session);
    });
  });

  router.route('head', '/streams/:name/live.mp4', (res: UWS.HttpResponse, req) => {
    if (!playerStreamFor(ctx, res, req)) return;
    res.cork(() => {
      writeHead(res, 200, LIVE_MP4_HEADERS);
      res.endWithoutBody();
    });
  });
}
