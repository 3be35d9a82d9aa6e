import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { createSecureContext } from 'node:tls';
import { FragcastError } from '../errors.ts';
import { apiRoutes } from './routes/api.ts';
import { assetRoutes } from './routes/assets.ts';
import { configRoutes } from './routes/config.ts';
import { healthRoutes } from './routes/health.ts';
import { hlsRoutes } from './routes/hls.ts';
import { ingestRoutes } from './routes/ingest.ts';
import { linkRoutes } from './routes/links.ts';
import { liveMp4Routes } from './routes/live-mp4.ts';
import { markerRoutes } from './routes/markers.ts';
import { metricsRoutes } from './routes/metrics.ts';
import { pageRoutes } from './routes/pages.ts';
import { preflightRoutes } from './routes/preflight.ts';
import { snapshotRoutes } from './routes/snapshot.ts';
import { statsRoutes } from './routes/stats.ts';
import { wsMseRoutes } from './routes/ws-mse.ts';
import { FanoutThreads } from './fanout/threads.ts';
import { Router, type Gate, type HttpContext } from './router.ts';
import type { UWS } from './uws.ts';

/** `listen.tls`: PEM files of the certificate (chain) and its key. */
export interface TlsFiles {
  readonly cert: string;
  readonly key: string;
  readonly passphrase?: string | undefined;
}

export interface HttpServerOptions extends HttpContext {
  readonly host: string;
  readonly port: number;
  /** Serve HTTPS and WSS with these files; plain HTTP without. */
  readonly tls?: TlsFiles | undefined;
  /** Worker threads that serve viewers on the same port (fanout/threads.ts); 0: this thread serves all. */
  readonly fanoutThreads?: number;
}

/**
 * Checks the TLS files as OpenSSL will use them, so that a bad file is
 * reported with its reason (uWS only says "App construction failed").
 * Throws TLS_UNAVAILABLE.
 */
function checkTlsFiles(tls: TlsFiles): void {
  try {
    createSecureContext({ cert: readFileSync(tls.cert), key: readFileSync(tls.key), passphrase: tls.passphrase });
  } catch (error) {
    throw new FragcastError('TLS_UNAVAILABLE', { why: (error as Error).message }, { cause: error });
  }
}

/**
 * Binds `port` on `host` (0: the kernel's pick) with a plain listener and
 * releases it at once: the port bound, or undefined when it is taken. Plain
 * means without SO_REUSEPORT, which uSockets sets: a second fragcast on a
 * port already served would otherwise bind it too and take part of its
 * connections, where a plain bind fails (Linux shares a port only among
 * sockets that all set it).
 */
function bindProbe(host: string, port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(undefined));
    probe.listen({ port, host, exclusive: true }, () => {
      const bound = (probe.address() as { port: number }).port;
      probe.close(() => resolve(bound));
    });
  });
}

/**
 * The uWS app: it listens, and hands URLs to the route modules in routes/,
 * one per concern. Everything under http/ stays thin — each handler
 * validates, then hands over to an output or the API. Every request passes
 * the header limit and its route's door (access.ts) before its handler.
 */
export class HttpServer {
  readonly #options: HttpServerOptions;
  #app: UWS.TemplatedApp;
  /** The route table (tests compare it with docs/openapi.json). */
  readonly router: Router;
  #listenSocket: UWS.us_listen_socket | undefined;
  #port = 0;
  #fanout: FanoutThreads | undefined;

  constructor(options: HttpServerOptions) {
    this.#options = options;
    this.router = this.#mount();
    this.#app = this.router.app;
  }

  get secure(): boolean {
    return this.#options.tls !== undefined;
  }

  /** A new app with every route: plain, or TLS with the certificate files as they are now. */
  #mount(): Router {
    const options = this.#options;
    const { uws } = options.uws;
    let app: UWS.TemplatedApp;
    if (options.tls) {
      checkTlsFiles(options.tls);
      app = uws.SSLApp({ cert_file_name: options.tls.cert, key_file_name: options.tls.key, ...(options.tls.passphrase ? { passphrase: options.tls.passphrase } : {}) });
    } else {
      app = uws.App();
    }
    const gate: Gate = (door, res, req) => options.limits.headersFit(res, req) && options.access.pass(door, res, req);
    const router = new Router(app, gate);
    pageRoutes(router, options);
    assetRoutes(router, options);
    ingestRoutes(router, options);
    // The player's endpoints: pages on other origins may use them as the stream's cors.origins allow (cors.ts).
    wsMseRoutes(router, options, this.secure);
    liveMp4Routes(router, options);
    hlsRoutes(router, options);
    snapshotRoutes(router, options);
    preflightRoutes(router, options);
    markerRoutes(router, options);
    healthRoutes(router, options);
    apiRoutes(router, options);
    linkRoutes(router, options);
    configRoutes(router, options);
    statsRoutes(router, options);
    metricsRoutes(router, options);
    router.fallback();
    return router;
  }

  async listen(): Promise<number> {
    const { host, port: asked, tls } = this.#options;
    const threads = this.#options.uws.native ? (this.#options.fanoutThreads ?? 0) : 0;
    if (threads !== (this.#options.fanoutThreads ?? 0)) this.#options.logger.warn('fan-out threads need the native uWebSockets.js: serving every connection from the main thread');
    // A port the kernel picks (0) cannot take a second listener (Linux gives autobound ports no SO_REUSEPORT):
    // with TLS, whose reload needs one, or fan-out threads, the probe picks a free port number and uWS binds
    // that. Otherwise uWS takes the kernel's pick itself.
    const port = asked === 0 && !tls && threads === 0 ? 0 : await bindProbe(host, asked);
    if (port === undefined) throw new FragcastError('LISTEN_FAILED', { host, port: asked });
    if (threads > 0) {
      // The threads take every connection; this thread keeps to sources, decisions and answers. With this
      // thread accepting too, a 1/(N+1) share of 8,000 viewers made it read its source at 68-72 % of real
      // time; without, at 97-101 % (docs/benchmarks.md, "Fan-out threads").
      this.#port = port;
      await this.#startThreads(threads);
      return port;
    }
    const socket = await this.#listen(this.#app, port);
    this.#listenSocket = socket;
    this.#port = this.#options.uws.uws.us_socket_local_port(socket as unknown as UWS.us_socket);
    return this.#port;
  }

  async #startThreads(count: number): Promise<void> {
    const options = this.#options;
    try {
      this.#fanout = await FanoutThreads.start({
        count,
        setup: { host: options.host, port: this.#port, tls: options.tls, logLevel: options.logger.level },
        router: this.router,
        registry: options.registry,
        logger: options.logger.child({ module: 'fanout' }),
        keyframeSent: options.metrics.keyframeSent,
      });
    } catch (error) {
      throw new FragcastError('LISTEN_FAILED', { host: options.host, port: this.#port }, { cause: error });
    }
    options.logger.info({ threads: count }, 'fan-out threads listening');
  }

  /** Ends the fan-out threads (after their viewers were closed: Viewers.closeAll kicks the twins). */
  async stopThreads(reason: Parameters<FanoutThreads['stop']>[0]): Promise<void> {
    await this.#fanout?.stop(reason);
    this.#fanout = undefined;
  }

  #listen(app: UWS.TemplatedApp, port: number): Promise<UWS.us_listen_socket> {
    const { host } = this.#options;
    return new Promise((resolve, reject) => {
      app.listen(host, port, (socket) => {
        if (socket) resolve(socket);
        else reject(new FragcastError('LISTEN_FAILED', { host, port }));
      });
    });
  }

  /**
   * Reads the TLS files again (SIGHUP): a new TLS app with the same routes
   * starts listening on the same port (uSockets listens with SO_REUSEPORT),
   * then the old one stops listening: no moment without a listener. New
   * connections get the new certificate; open ones keep theirs until they
   * end. uWS 20.30 cannot swap the certificate of a running app
   * (addServerName only adds SNI names beside the default one), hence the
   * new app. A bad file changes nothing: TLS_UNAVAILABLE (or
   * LISTEN_FAILED) is thrown and the old certificate stays.
   */
  async reloadCertificates(): Promise<void> {
    if (!this.#options.tls) return;
    if (this.#fanout) {
      // The threads hold the port: each makes its new app the same way, once the files are known good.
      checkTlsFiles(this.#options.tls);
      await this.#fanout.reloadCertificates();
      return;
    }
    const old = this.#listenSocket;
    if (!old) return;
    const router = this.#mount();
    const close = (socket: UWS.us_listen_socket): void => this.#options.uws.uws.us_listen_socket_close(socket);
    const socket = await this.#listen(router.app, this.#port);
    close(old);
    this.#listenSocket = socket;
    this.#app = router.app;
  }

  /** Stops accepting connections. Open sessions are ended by their owner (Viewers.closeAll). */
  stopListening(): void {
    this.#fanout?.unlisten();
    if (!this.#listenSocket) return;
    this.#options.uws.uws.us_listen_socket_close(this.#listenSocket);
    this.#listenSocket = undefined;
  }
}
