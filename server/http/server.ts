import { FragcastError } from '../errors.ts';
import { apiRoutes } from './routes/api.ts';
import { hlsRoutes } from './routes/hls.ts';
import { liveMp4Routes } from './routes/live-mp4.ts';
import { markerRoutes } from './routes/markers.ts';
import { pageRoutes } from './routes/pages.ts';
import { wsMseRoutes } from './routes/ws-mse.ts';
import { Router, type HttpContext } from './router.ts';
import type { UWS } from './uws.ts';

export interface HttpServerOptions extends HttpContext {
  readonly host: string;
  readonly port: number;
}

/**
 * The uWS app: it listens, and hands URLs to the route modules in routes/,
 * one per concern. Everything under http/ stays thin — each handler
 * validates, then hands over to an output or the API.
 */
export class HttpServer {
  readonly #options: HttpServerOptions;
  readonly #app: UWS.TemplatedApp;
  #listenSocket: UWS.us_listen_socket | undefined;

  constructor(options: HttpServerOptions) {
    this.#options = options;
    this.#app = options.uws.uws.App();
    const router = new Router(this.#app);
    pageRoutes(router, options);
    apiRoutes(router, options);
    wsMseRoutes(router, options);
    liveMp4Routes(router, options);
    hlsRoutes(router, options);
    markerRoutes(router, options);
    router.fallback();
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
        resolve(uws.uws.us_socket_local_port(socket as unknown as UWS.us_socket));
      });
    });
  }

  /** Stops accepting connections. Open sessions are ended by their owner (Viewers.closeAll). */
  stopListening(): void {
    if (!this.#listenSocket) return;
    this.#options.uws.uws.us_listen_socket_close(this.#listenSocket);
    this.#listenSocket = undefined;
  }
}
