import { FragcastError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { HttpMp4Session, LIVE_MP4_HEADERS } from '../outputs/http-mp4.ts';
import type { KeyframeGateOptions } from '../outputs/keyframe-gate.ts';
import type { Viewers } from '../outputs/viewers.ts';
import { WsMseSession } from '../outputs/ws-mse.ts';
import type { StreamRegistry } from '../streams/registry.ts';
import type { Stream } from '../streams/stream.ts';
import { isValidStreamName } from '../streams/stream-name.ts';
import { summarizeStream } from './api.ts';
import type { Assets } from './assets.ts';
import { homePage, PAGE_HEADERS, playerPage } from './pages.ts';
import { remoteAddressOf, sendBody, sendError, sendJson, writeHead } from './respond.ts';
import type { LoadedUws, UWS } from './uws.ts';

export interface HttpServerOptions {
  readonly host: string;
  readonly port: number;
  readonly uws: LoadedUws;
  readonly registry: StreamRegistry;
  readonly viewers: Viewers;
  readonly assets: Assets;
  readonly logger: Logger;
  readonly gate?: Partial<KeyframeGateOptions>;
}

interface WsUserData {
  readonly stream: Stream;
  readonly remoteAddress: string;
  session?: WsMseSession;
}

/**
 * uWS can drop a slow socket when its buffer passes maxBackpressure; fragcast's
 * KeyframeGate decides long before that (1 MiB by default), so this is only
 * a backstop that must never be the one to act.
 */
const WS_MAX_BACKPRESSURE = 64 * 1024 * 1024;
/** uWS closes abruptly above this; up to it, ws-mse.ts answers with a clear close code. */
const WS_MAX_PAYLOAD = 64 * 1024;

/**
 * The only module that knows uWS routes: it maps URLs to outputs, pages and
 * assets, and stays thin — each handler validates, then hands over.
 */
export class HttpServer {
  readonly #options: HttpServerOptions;
  readonly #app: UWS.TemplatedApp;
  readonly #log: Logger;
  #listenSocket: UWS.us_listen_socket | undefined;
  #port = 0;

  constructor(options: HttpServerOptions) {
    this.#options = options;
    this.#log = options.logger;
    this.#app = options.uws.uws.App();
    this.#routes();
  }

  get port(): number {
    return this.#port;
  }

  listen(): Promise<number> {
    const { host, port, uws } = this.#options;
    return new Promise((resolve, reject) => {
      this.#app.listen(host, port, (socket) => {
        if (!socket) {
          reject(new FragcastError('LISTEN_FAILED', { host, port }));
          return;
        }
        this.#listenSocket = socket;
        this.#port = uws.uws.us_socket_local_port(socket as unknown as UWS.us_socket);
        resolve(this.#port);
      });
    });
  }

  /** Stops accepting connections. Open sessions are ended by their owner (Viewers.closeAll). */
  stopListening(): void {
    if (!this.#listenSocket) return;
    this.#options.uws.uws.us_listen_socket_close(this.#listenSocket);
    this.#listenSocket = undefined;
  }

  /** Looks up the stream named by route parameter 0, answering 400/404 itself when there is none. */
  #streamFor(res: UWS.HttpResponse, req: UWS.HttpRequest): Stream | undefined {
    const name = req.getParameter(0) ?? '';
    if (!isValidStreamName(name)) {
      sendError(res, new FragcastError('INVALID_STREAM_NAME', { stream: name.slice(0, 80) }));
      return undefined;
    }
    const stream = this.#options.registry.get(name);
    if (!stream) sendError(res, new FragcastError('STREAM_NOT_FOUND', { stream: name }));
    return stream;
  }

  #routes(): void {
    const app = this.#app;
    const { registry, viewers } = this.#options;

    app.get('/', (res) => {
      const streams = [...registry.entries()].map((entry) => summarizeStream(entry, viewers));
      sendBody(res, 200, 'text/html; charset=utf-8', homePage(streams), PAGE_HEADERS);
    });

    app.get('/api/streams', (res) => {
      sendJson(res, 200, { streams: [...registry.entries()].map((entry) => summarizeStream(entry, viewers)) });
    });

    app.get('/streams/:name', (res, req) => {
      const stream = this.#streamFor(res, req);
      if (!stream) return;
      sendBody(res, 200, 'text/html; charset=utf-8', playerPage(summarizeStream(registry.entry(stream.name)!, viewers)), PAGE_HEADERS);
    });

    app.get('/streams/:name/live.mp4', (res, req) => this.#liveMp4(res, req, false));
    app.head('/streams/:name/live.mp4', (res, req) => this.#liveMp4(res, req, true));

    app.ws<WsUserData>('/streams/:name/ws', {
      compression: this.#options.uws.uws.DISABLED,
      maxPayloadLength: WS_MAX_PAYLOAD,
      maxBackpressure: WS_MAX_BACKPRESSURE,
      closeOnBackpressureLimit: 0,
      idleTimeout: 120,
      sendPingsAutomatically: true,
      upgrade: (res, req, context) => {
        const stream = this.#streamFor(res, req);
        if (!stream) return;
        const userData: WsUserData = { stream, remoteAddress: remoteAddressOf(res) };
        res.upgrade(
          userData,
          req.getHeader('sec-websocket-key'),
          req.getHeader('sec-websocket-protocol'),
          req.getHeader('sec-websocket-extensions'),
          context,
        );
      },
      open: (ws) => {
        const data = ws.getUserData();
        const session = new WsMseSession(ws, data.stream, data.remoteAddress, this.#options.gate);
        data.session = session;
        viewers.add(session);
      },
      message: (ws, message, isBinary) => ws.getUserData().session?.receive(message, isBinary),
      close: (ws) => ws.getUserData().session?.close('peer'),
    });

    app.get('/streams/:name/ws', (res, req) => {
      if (!this.#streamFor(res, req)) return;
      sendError(res, new FragcastError('UPGRADE_REQUIRED', { url: req.getUrl() }));
    });

    app.get('/assets/:file', (res, req) => {
      const name = req.getParameter(0) ?? '';
      const asset = this.#options.assets.get(name);
      if (!asset) {
        const known = name.endsWith('.js') && this.#options.assets.size === 0;
        sendError(res, known ? new FragcastError('ASSET_MISSING', { asset: name }) : new FragcastError('NOT_FOUND', { method: 'GET', url: req.getUrl() }));
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

    app.any('/*', (res, req) => {
      const method = req.getCaseSensitiveMethod();
      sendError(res, new FragcastError('NOT_FOUND', { method, url: req.getUrl().slice(0, 200) }));
    });
  }

  #liveMp4(res: UWS.HttpResponse, req: UWS.HttpRequest, headOnly: boolean): void {
    const stream = this.#streamFor(res, req);
    if (!stream) return;
    if (headOnly) {
      res.cork(() => {
        writeHead(res, 200, LIVE_MP4_HEADERS);
        res.endWithoutBody();
      });
      return;
    }
    const remoteAddress = remoteAddressOf(res);
    const session = new HttpMp4Session(res, stream, remoteAddress, this.#options.gate);
    res.onAborted(() => session.close('peer'));
    res.cork(() => {
      // uWS sends the status and headers with the first body chunk: at once when the stream has an
      // init, else when its init arrives (the player waits, as for a slow server).
      writeHead(res, 200, LIVE_MP4_HEADERS);
      this.#options.viewers.add(session);
    });
    this.#log.debug({ stream: stream.name, remoteAddress }, 'live.mp4 started');
  }
}
