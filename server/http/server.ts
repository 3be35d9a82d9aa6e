import { FragcastError } from '../errors.ts';
import { apiRoutes } from './routes/api.ts';
import { assetRoutes } from './routes/assets.ts';
import { configRoutes } from './routes/config.ts';
import { healthRoutes } from './routes/health.ts';
import { hlsRoutes } from './routes/hls.ts';
import { ingestRoutes } from './routes/ingest.ts';
import { liveMp4Routes } from './routes/live-mp4.ts';
import { markerRoutes } from './routes/markers.ts';
import { metricsRoutes } from './routes/metrics.ts';
import { pageRoutes } from './routes/pages.ts';
import { preflightRoutes } from './routes/preflight.ts';
import { snapshotRoutes } from './routes/snapshot.ts';
import { statsRoutes } from './routes/stats.ts';
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
  /** The route table (tests compare it with docs/openapi.json). */
  readonly router: Router;
  #listenSocket: UWS.us_listen_socket | undefined;

  constructor(options: HttpServerOptions) {
    this.#options = options;
    this.#app = options.uws.uws.App();
    const router = new Router(this.#app);
    this.router = router;
    pageRoutes(router, options);
    assetRoutes(router, options);
    ingestRoutes(router, options);
    // The player's endpoints: pages on other origins may use them as the stream's cors.origins allow (cors.ts).
    wsMseRoutes(router, options);
    liveMp4Routes(router, options);
    hlsRoutes(router, options);
    snapshotRoutes(router, options);
    preflightRoutes(router, options);
    markerRoutes(router, options);
    healthRoutes(router, options);
    // Operator routes: admin authentication (a later issue) goes in front of these.
    apiRoutes(router, options);
    configRoutes(router, options);
    statsRoutes(router, options);
    metricsRoutes(router, options);
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
