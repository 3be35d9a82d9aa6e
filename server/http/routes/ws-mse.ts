import { FragcastError } from '../../errors.ts';
import { MAX_BOX_SIZE } from '../../media/box.ts';
import { WsMseSession } from '../../outputs/ws-mse.ts';
import type { Stream } from '../../streams/stream.ts';
import { playerStreamFor } from '../cors.ts';
import { servedByThread } from '../fanout/bridged.ts';
import { sendError } from '../respond.ts';
import { streamFor, type HttpContext, type Router } from '../router.ts';

interface WsUserData {
  readonly stream: Stream;
  readonly remoteAddress: string;
  session?: WsMseSession;
}

/**
 * uWS can drop a slow socket when its buffer passes maxBackpressure; fragcast's
 * KeyframeGate decides long before that (1 MiB by default), so this is only
 * a backstop that must never be the one to act. uWS checks it before every
 * frame, so it must also exceed the largest message, which may go in several
 * frames (sendBinary): a dropped frame would cut the message in two. A
 * fragment is at most its prefix boxes (1 MiB), a moof and an mdat, each box
 * up to MAX_BOX_SIZE.
 */
export const WS_MAX_BACKPRESSURE = 3 * MAX_BOX_SIZE;
/** uWS closes abruptly above this; up to it, ws-mse.ts answers with a clear close code. */
export const WS_MAX_PAYLOAD = 64 * 1024;

/** `ws://HOST/streams/NAME/ws`: the WebSocket MSE output (docs/protocol.md). `tls`: the app is uWS's SSLApp. */
export function wsMseRoutes(router: Router, ctx: HttpContext, tls: boolean): void {
  router.ws<WsUserData>('/streams/:name/ws', {
    compression: ctx.uws.uws.DISABLED,
    maxPayloadLength: WS_MAX_PAYLOAD,
    maxBackpressure: WS_MAX_BACKPRESSURE,
    closeOnBackpressureLimit: 0,
    // A viewer whose TCP connection is dead (no pong, nothing read) is dropped after this; one that reads too slowly, by its gate's max_behind.
    idleTimeout: 120,
    sendPingsAutomatically: true,
    upgrade: (res, req, context) => {
      // Unknown stream, bad name, a page from an origin the stream does not allow, a limit reached:
      // answered before the upgrade (the door, access.ts, came first).
      const stream = playerStreamFor(ctx, res, req);
      if (!stream) return;
      const remoteAddress = ctx.access.clientAddress(res, req);
      if (!ctx.limits.admitViewer(res, stream, remoteAddress)) return;
      // A fan-out thread holds the socket: it upgrades and serves the viewer; its twin is counted here.
      if (servedByThread(ctx, res, 'ws', stream, remoteAddress)) return;
      const userData: WsUserData = { stream, remoteAddress };
      res.upgrade(userData, req.getHeader('sec-websocket-key'), req.getHeader('sec-websocket-protocol'), req.getHeader('sec-websocket-extensions'), context);
    },
    open: (ws) => {
      const data = ws.getUserData();
      const session = new WsMseSession(ws, data.stream, data.remoteAddress, {
        gate: ctx.gateFor(data.stream.name),
        messagesPerSecond: ctx.limits.viewerMessagesPerSecond,
        // Registered now (limits count it), started once `open` has returned and the 101 response has gone out.
        schedule: ctx.afterHandler.run,
        tls,
      });
      data.session = session;
      session.once('close', ctx.limits.hold(data.remoteAddress));
      ctx.viewers.add(session);
    },
    message: (ws, message, isBinary) => ws.getUserData().session?.receive(message, isBinary),
    drain: (ws) => ws.getUserData().session?.drained(),
    close: (ws) => ws.getUserData().session?.close('peer'),
  });

  // uWS matches the ws route only for upgrade requests; a plain GET lands here.
  router.route('get', '/streams/:name/ws', (res, req) => {
    if (!streamFor(ctx, res, req)) return;
    sendError(res, new FragcastError('UPGRADE_REQUIRED', { url: req.getUrl() }), [['Upgrade', 'websocket']]);
  });
}
