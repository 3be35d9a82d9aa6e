import { FragcastError } from '../../errors.ts';
import { PushSource, type Publisher } from '../../sources/push-source.ts';
import { isValidStreamName } from '../../streams/stream-name.ts';
import { sendError, writeHead } from '../respond.ts';
import type { HttpContext, Router } from '../router.ts';
import type { UWS } from '../uws.ts';

/** A pushed fragment can be a whole keyframe of a high-bitrate stream. */
export const INGEST_WS_MAX_PAYLOAD = 16 * 1024 * 1024;
/** RFC 6455 §5.5: a close frame's payload is at most 125 bytes, 2 of them the code. */
const MAX_CLOSE_REASON_BYTES = 123;

interface IngestUserData {
  readonly source: PushSource;
  readonly remoteAddress: string;
  publisher?: Publisher;
  /** uWS has closed the socket: it must not be touched again. */
  closed?: boolean;
}

/** The push source of the stream named by route parameter 0, or answers 404/400 and returns undefined. */
function pushSourceFor(ctx: HttpContext, res: UWS.HttpResponse, req: UWS.HttpRequest): PushSource | undefined {
  const name = req.getParameter(0) ?? '';
  if (!isValidStreamName(name)) {
    sendError(res, new FragcastError('INVALID_STREAM_NAME', { stream: name.slice(0, 80) }));
    return undefined;
  }
  const source = ctx.registry.entry(name)?.source;
  if (source instanceof PushSource) return source;
  // Same answer for "no such stream" and "not a push stream": the URL tells a stranger nothing.
  sendError(res, new FragcastError('PUSH_STREAM_NOT_FOUND', { stream: name }));
  return undefined;
}

/** The presented publish key: `Authorization: Bearer KEY` (preferred: not in access logs) or `?key=KEY`. */
function presentedKey(req: UWS.HttpRequest): string | undefined {
  const bearer = /^Bearer\s+(.+)$/i.exec(req.getHeader('authorization'));
  return bearer?.[1]?.trim() ?? req.getQuery('key') ?? undefined;
}

/** Checks the stream and its key; answers the error itself and returns undefined when either fails. */
function admit(ctx: HttpContext, res: UWS.HttpResponse, req: UWS.HttpRequest): PushSource | undefined {
  const source = pushSourceFor(ctx, res, req);
  if (!source) return undefined;
  if (!source.authorize(presentedKey(req))) {
    sendError(res, new FragcastError('PUBLISH_UNAUTHORIZED', { stream: req.getParameter(0) }), [['WWW-Authenticate', 'Bearer']]);
    return undefined;
  }
  return source;
}

/**
 * Push ingest (docs/config.md, "push"): `PUT|POST /ingest/NAME` with a
 * (chunked) fMP4 body, and `ws://HOST/ingest/NAME/ws` with binary messages.
 * Bytes go to the stream's PushSource as they arrive, on the next turn of
 * the event loop (AfterHandler: the viewers' sends must not run inside
 * the publisher's corked handler). uWS lends each chunk only for the
 * duration of the callback, so each is copied once.
 */
export function ingestRoutes(router: Router, ctx: HttpContext): void {
  const afterHandler = ctx.afterHandler.run;
  const httpIngest = (res: UWS.HttpResponse, req: UWS.HttpRequest): void => {
    const source = admit(ctx, res, req);
    if (!source) return;
    // The response was answered (204, or the error that kicked the publisher) or aborted: res is not touched again.
    let answered = false;
    const published = source.publish(ctx.access.clientAddress(res, req), {
      kick: (error) => {
        if (answered) return;
        answered = true;
        sendError(res, error, [['Connection', 'close']]);
      },
    });
    if (published instanceof FragcastError) {
      sendError(res, published);
      return;
    }
    // The publisher hears of the abort after the bytes that came before it.
    res.onAborted(() => {
      answered = true;
      afterHandler(published.end);
    });
    res.onData((chunk, isLast) => {
      if (answered) return;
      const bytes = chunk.byteLength ? Buffer.from(new Uint8Array(chunk)) : undefined;
      afterHandler(() => {
        if (bytes) published.write(bytes);
        if (!isLast) return;
        published.end();
        // The write may have kicked the publisher (malformed media): then the response is already answered.
        if (answered) return;
        answered = true;
        res.cork(() => {
          writeHead(res, 204, []);
          res.endWithoutBody();
        });
      });
    });
  };
  router.route('put', '/ingest/:name', httpIngest);
  router.route('post', '/ingest/:name', httpIngest);

  router.ws<IngestUserData>('/ingest/:name/ws', {
    compression: ctx.uws.uws.DISABLED,
    maxPayloadLength: INGEST_WS_MAX_PAYLOAD,
    idleTimeout: 120,
    sendPingsAutomatically: true,
    upgrade: (res, req, context) => {
      const source = admit(ctx, res, req);
      if (!source) return;
      const refused = source.refusal();
      if (refused) {
        sendError(res, refused);
        return;
      }
      const userData: IngestUserData = { source, remoteAddress: ctx.access.clientAddress(res, req) };
      res.upgrade(userData, req.getHeader('sec-websocket-key'), req.getHeader('sec-websocket-protocol'), req.getHeader('sec-websocket-extensions'), context);
    },
    open: (ws) => {
      const data = ws.getUserData();
      const kick = (error: FragcastError): void => {
        // A write run after the socket closed may still find bad media: the socket is gone, nothing to tell.
        if (data.closed) return;
        // Close codes 4000 + the HTTP status: 4408 idle, 4409 conflict, 4410 stream gone, 4422 bad media, 4429 over max_bitrate.
        ws.end(4000 + error.status, Buffer.from(error.message).subarray(0, MAX_CLOSE_REASON_BYTES).toString('utf8'));
      };
      const published = data.source.publish(data.remoteAddress, { kick });
      if (published instanceof FragcastError) kick(published);
      else data.publisher = published;
    },
    message: (ws, message, isBinary) => {
      const publisher = ws.getUserData().publisher;
      // Text messages carry nothing for a stream; a publisher may send them (a hello) without harm.
      if (!isBinary || !publisher) return;
      const bytes = Buffer.from(new Uint8Array(message));
      afterHandler(() => publisher.write(bytes));
    },
    close: (ws) => {
      const data = ws.getUserData();
      data.closed = true;
      const publisher = data.publisher;
      // After the messages that came before the close.
      if (publisher) afterHandler(publisher.end);
    },
  });

  // uWS matches the ws route only for upgrade requests; a plain GET lands here.
  router.route('get', '/ingest/:name/ws', (res, req) => {
    if (!pushSourceFor(ctx, res, req)) return;
    sendError(res, new FragcastError('UPGRADE_REQUIRED', { url: req.getUrl() }), [['Upgrade', 'websocket']]);
  });
}
