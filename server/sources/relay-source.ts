import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import WebSocket from 'ws';
import type { Logger } from '../logger.ts';
import type { BackoffOptions } from './backoff.ts';
import { SupervisedSource, type Run } from './supervised-source.ts';

export interface RelaySourceOptions {
  /** ws(s)://HOST/streams/NAME/ws (binary messages are whole boxes) or http(s)://HOST/streams/NAME/live.mp4. */
  readonly url: string;
  /** No bytes for this long: the connection is dropped and made again. */
  readonly stallTimeoutMs: number;
  readonly logger: Logger;
  readonly backoff?: Partial<BackoffOptions>;
}

/**
 * Another fragcast's stream, pulled over its WebSocket or its chunked
 * live.mp4, reconnecting with the core's backoff. Over the WebSocket the
 * origin's binary messages are exactly its init and fragments (the JSON text
 * messages are for players and are skipped); a new init from the origin is
 * a new ftyp+moov in the same byte stream, which the stream's reader takes
 * as a new generation. live.mp4 ends at an origin re-init; that is a
 * reconnect.
 */
export class RelaySource extends SupervisedSource {
  readonly kind = 'relay';
  readonly #options: RelaySourceOptions;

  constructor(options: RelaySourceOptions) {
    super(options.logger, options.backoff);
    this.#options = options;
  }

  protected launch(run: Run): void {
    const url = new URL(this.#options.url);
    if (url.protocol === 'ws:' || url.protocol === 'wss:') this.#overWebSocket(run, url);
    else this.#overHttp(run, url);
  }

  #overWebSocket(run: Run, url: URL): void {
    const socket = new WebSocket(url, { perMessageDeflate: false, handshakeTimeout: this.#options.stallTimeoutMs });
    const stall = this.#stallTimer(() => socket.terminate());
    run.onStop((force) => (force ? socket.terminate() : socket.close(1001)));
    socket.on('open', () => {
      this.log.info({ url: this.#options.url }, 'relay connected');
      run.started();
    });
    socket.on('message', (data: Buffer, isBinary) => {
      stall.refresh();
      if (isBinary) run.data(data);
    });
    socket.on('unexpected-response', (_request, response) => this.#logRefusal(response, () => socket.terminate()));
    socket.on('error', (error) => this.log.warn({ err: error.message, url: this.#options.url }, 'relay connection failed'));
    socket.on('close', (code) => {
      clearTimeout(stall);
      run.end(code, null);
    });
  }

  #overHttp(run: Run, url: URL): void {
    const request = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, { method: 'GET' });
    const stall = this.#stallTimer(() => request.destroy(new Error(`no bytes for ${this.#options.stallTimeoutMs / 1000} s`)));
    run.onStop(() => request.destroy());
    request.on('response', (response) => {
      if (response.statusCode !== 200) {
        this.#logRefusal(response, () => request.destroy());
        return;
      }
      this.log.info({ url: this.#options.url }, 'relay connected');
      run.started();
      response.on('data', (chunk: Buffer) => {
        stall.refresh();
        run.data(chunk);
      });
    });
    request.on('error', (error) => this.log.warn({ err: error.message, url: this.#options.url }, 'relay connection failed'));
    request.on('close', () => {
      clearTimeout(stall);
      run.end();
    });
    request.end();
  }

  #stallTimer(onStall: () => void): NodeJS.Timeout {
    return setTimeout(() => {
      this.log.warn({ url: this.#options.url, seconds: this.#options.stallTimeoutMs / 1000 }, 'relay stalled; reconnecting');
      onStall();
    }, this.#options.stallTimeoutMs);
  }

  /** The origin said no (unknown stream, 404…): log its own error message, then drop the connection. */
  #logRefusal(response: IncomingMessage, drop: () => void): void {
    let body = '';
    response.setEncoding('utf8');
    response.on('data', (text: string) => (body = (body + text).slice(0, 500)));
    response.on('end', () => {
      this.log.warn({ url: this.#options.url, status: response.statusCode, body }, 'relay origin refused');
      drop();
    });
    response.on('error', drop);
  }
}
