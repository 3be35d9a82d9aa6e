import { FragcastError } from '../../errors.ts';
import { describeMarker, parseMarkerInput } from '../../streams/markers.ts';
import { readJsonBody } from '../body.ts';
import { sendError, sendJson } from '../respond.ts';
import { streamFor, type HttpContext, type Router } from '../router.ts';

/** A marker body is a label and a date: anything near this size is not one. */
export const MAX_MARKER_BODY_BYTES = 4096;

/** `GET|POST /api/streams/NAME/markers`: a stream's timeline markers (docs/hls.md, docs/protocol.md). */
export function markerRoutes(router: Router, ctx: HttpContext): void {
  router.route('get', '/api/streams/:name/markers', (res, req) => {
    const stream = streamFor(ctx, res, req);
    if (!stream) return;
    sendJson(res, 200, { markers: stream.markers.list().map(describeMarker) });
  });

  router.route('post', '/api/streams/:name/markers', (res, req) => {
    const stream = streamFor(ctx, res, req);
    if (!stream) return;
    readJsonBody(res, req, { maxBytes: MAX_MARKER_BODY_BYTES, timeoutMs: ctx.limits.bodyTimeoutMs }, (body, error, isAborted) => {
      if (isAborted()) return;
      if (error) {
        sendError(res, error);
        return;
      }
      try {
        const marker = stream.addMarker(parseMarkerInput(body, Date.now(), stream.markers.options));
        sendJson(res, 201, { marker: describeMarker(marker) });
      } catch (failure) {
        if (!(failure instanceof FragcastError)) throw failure;
        sendError(res, failure);
      }
    });
  });
}
