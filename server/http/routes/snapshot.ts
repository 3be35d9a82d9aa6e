import { parseSnapshotWidth } from '../../outputs/snapshot/snapshots.ts';
import { FragcastError } from '../../errors.ts';
import type { UWS } from '../uws.ts';
import { answerLater, asFragcastError, sendError, writeHead } from '../respond.ts';
import { playerStreamFor } from '../cors.ts';
import type { HttpContext, Router } from '../router.ts';

/** Codes that tell the client to come back soon: no keyframe yet, or the decoders are busy. */
const RETRY_SOON = new Set(['STREAM_NOT_READY', 'SNAPSHOT_BUSY']);

function sendFailure(res: UWS.HttpResponse, error: FragcastError): void {
  sendError(res, error, RETRY_SOON.has(error.code) ? [['Retry-After', '1']] : []);
}

/** A cacheable picture: 304 when the client has this one, else the bytes. */
function sendPicture(res: UWS.HttpResponse, ifNoneMatch: string, type: string, etag: string, maxAgeSeconds: number, body: Buffer): void {
  const headers: [string, string][] = [
    ['ETag', etag],
    // Public: a CDN may keep it until the next keyframe is due.
    ['Cache-Control', `public, max-age=${maxAgeSeconds}`],
  ];
  res.cork(() => {
    if (ifNoneMatch === etag) {
      writeHead(res, 304, headers);
      res.end();
      return;
    }
    writeHead(res, 200, [['Content-Type', type], ...headers]);
    res.end(body);
  });
}

/** `GET /streams/NAME/snapshot.jpg[?width=W]` and `GET /streams/NAME/snapshot.mp4`: pictures of the newest keyframe (the player's poster). */
export function snapshotRoutes(router: Router, ctx: HttpContext): void {
  router.route('get', '/streams/:name/snapshot.jpg', (res, req) => {
    const stream = playerStreamFor(ctx, res, req);
    if (!stream) return;
    const ifNoneMatch = req.getHeader('if-none-match');
    let width: number | undefined;
    try {
      width = parseSnapshotWidth(new URLSearchParams(req.getQuery() ?? '').get('width') ?? undefined, ctx.snapshots.options);
    } catch (error) {
      sendFailure(res, asFragcastError(error));
      return;
    }
    const open = answerLater(res);
    ctx.snapshots.jpeg(stream, width).then(
      (shot) => open() && sendPicture(res, ifNoneMatch, 'image/jpeg', shot.etag, shot.maxAgeSeconds, shot.jpeg),
      (error: unknown) => open() && sendFailure(res, asFragcastError(error)),
    );
  });

  router.route('get', '/streams/:name/snapshot.mp4', (res, req) => {
    const stream = playerStreamFor(ctx, res, req);
    if (!stream) return;
    try {
      const shot = ctx.snapshots.mp4(stream);
      sendPicture(res, req.getHeader('if-none-match'), 'video/mp4', shot.etag, shot.maxAgeSeconds, shot.mp4);
    } catch (error) {
      sendFailure(res, asFragcastError(error));
    }
  });
}
