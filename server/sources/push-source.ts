import { createHash, timingSafeEqual } from 'node:crypto';
import { FragcastError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { SafeEmitter } from '../safe-emitter.ts';
import { TokenBucket } from '../token-bucket.ts';
import type { Source, SourceEvents, SourceExit, SourceState } from './source.ts';

export interface PushSourceOptions {
  readonly stream: string;
  /** The publish key. */
  readonly key: string;
  /** A publisher silent this long is disconnected. */
  readonly idleTimeoutMs: number;
  /** A publisher sending faster than this (bits/s, over BITRATE_BURST_SECONDS) is disconnected. */
  readonly maxBitrate: number;
  /**
   * A new publisher with the key replaces the current one, which is cut off
   * (PUBLISHER_REPLACED): an encoder that reconnects after its connection
   * died without a close need not wait out idleTimeoutMs. Otherwise a
   * second publisher is refused (PUBLISHER_CONFLICT).
   */
  readonly takeover: boolean;
  readonly logger: Logger;
}

/** How the source ends a publisher's connection (the http layer implements it per transport). */
export interface PublisherTransport {
  kick(error: FragcastError): void;
}

/** One connected publisher: the http layer hands it the bytes and tells it when the connection ends. */
export interface Publisher {
  readonly id: number;
  /** A chunk of the fMP4 body; the caller gives up the buffer (it must be a copy of uWS's). */
  write(chunk: Buffer): void;
  /** The publisher finished or went away. Idempotent. */
  end(): void;
}

/**
 * Seconds of max_bitrate a publisher may send ahead of real time: an
 * encoder's first GOP, or one catching up after a network stall. Past that
 * it is cut off (a token bucket: refilled at max_bitrate, this deep).
 */
export const BITRATE_BURST_SECONDS = 5;

interface CurrentPublisher {
  readonly publisher: Publisher;
  readonly transport: PublisherTransport;
  readonly startedAt: number;
  readonly timer: NodeJS.Timeout;
  readonly remote: string;
  /** Bytes the publisher may send: max_bitrate, BITRATE_BURST_SECONDS ahead. */
  readonly allowance: TokenBucket;
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/**
 * Media pushed by an encoder (docs/config.md, "push"): fed by the http layer
 * (routes/ingest.ts), one publisher at a time. A publisher that goes away
 * ends the run: the stream keeps its cache (viewers see a stall, not an
 * error) and the next publisher's init starts a new generation of the same
 * stream. There is nothing to restart, so no backoff: the publisher decides
 * when to come back.
 */
export class PushSource extends SafeEmitter<SourceEvents> implements Source {
  readonly kind = 'push';
  readonly #options: PushSourceOptions;
  readonly #log: Logger;
  readonly #keyDigest: Buffer;
  #state: SourceState = 'idle';
  #publishers = 0;
  #current: CurrentPublisher | undefined;
  #lastExit: SourceExit | undefined;

  constructor(options: PushSourceOptions) {
    super();
    this.#options = options;
    this.#log = options.logger;
    this.#keyDigest = digest(options.key);
  }

  get state(): SourceState {
    return this.#state;
  }

  get restarts(): number {
    return Math.max(0, this.#publishers - 1);
  }

  get lastExit(): SourceExit | undefined {
    return this.#lastExit;
  }

  get publishing(): boolean {
    return this.#current !== undefined;
  }

  /** Constant-time check of a presented key (both sides hashed first, so lengths never leak either). */
  authorize(presented: string | undefined): boolean {
    return presented !== undefined && timingSafeEqual(digest(presented), this.#keyDigest);
  }

  /** Why a new publisher would be refused now (INGEST_CLOSED, PUBLISHER_CONFLICT), or undefined. Call authorize() first. */
  refusal(): FragcastError | undefined {
    const stream = this.#options.stream;
    if (this.#state === 'closed') return new FragcastError('INGEST_CLOSED', { stream });
    if (this.#current && !this.#options.takeover) return new FragcastError('PUBLISHER_CONFLICT', { stream });
    return undefined;
  }

  /** Takes a publisher, replacing the current one with takeover, or answers why not (refusal()). Call authorize() first. */
  publish(remoteAddress: string, transport: PublisherTransport): Publisher | FragcastError {
    const stream = this.#options.stream;
    const refused = this.refusal();
    if (refused) return refused;
    if (this.#current) this.#kick(new FragcastError('PUBLISHER_REPLACED', { stream }), `replaced by a publisher from ${remoteAddress}`);
    const id = ++this.#publishers;
    const publisher: Publisher = {
      id,
      write: (chunk) => {
        const current = this.#current;
        if (current?.publisher !== publisher) return;
        if (!this.#withinBitrate(current, chunk.length)) return;
        current.timer.refresh();
        if (this.#state !== 'running') this.#setState('running');
        this.safeEmit('data', chunk);
      },
      end: () => this.#endPublisher(publisher, undefined),
    };
    const timer = setTimeout(() => {
      const seconds = this.#options.idleTimeoutMs / 1000;
      this.#kick(new FragcastError('PUBLISHER_IDLE', { stream, seconds }), `idle for ${seconds} s`);
    }, this.#options.idleTimeoutMs);
    const bytesPerSecond = this.#options.maxBitrate / 8;
    const allowance = new TokenBucket(bytesPerSecond, bytesPerSecond * BITRATE_BURST_SECONDS);
    this.#current = { publisher, transport, startedAt: Date.now(), timer, remote: remoteAddress, allowance };
    this.#log.info({ publisher: id, remote: remoteAddress }, 'publisher connected');
    this.#setState('starting');
    this.safeEmit('start', { pid: undefined });
    return publisher;
  }

  /** Accepting publishers is the idle state: nothing to start. */
  start(): void {}

  /** The pushed media was malformed: drop this publisher; the next one starts clean. */
  restart(reason: string): void {
    this.#kick(new FragcastError('PUBLISHER_MEDIA_INVALID', { stream: this.#options.stream, why: reason }), reason);
  }

  stop(): Promise<void> {
    this.#kick(new FragcastError('INGEST_CLOSED', { stream: this.#options.stream }), 'stopped');
    return Promise.resolve();
  }

  close(): Promise<void> {
    if (this.#state !== 'closed') {
      this.#kick(new FragcastError('INGEST_CLOSED', { stream: this.#options.stream }), 'closed');
      this.#setState('closed');
    }
    return Promise.resolve();
  }

  /** Takes `bytes` from the publisher's allowance; kicks it (PUBLISHER_BITRATE_EXCEEDED) when there is not enough. */
  #withinBitrate(current: CurrentPublisher, bytes: number): boolean {
    if (current.allowance.take(bytes)) return true;
    const { stream, maxBitrate } = this.#options;
    this.#kick(new FragcastError('PUBLISHER_BITRATE_EXCEEDED', { stream, limit: maxBitrate, seconds: BITRATE_BURST_SECONDS }), 'over max_bitrate');
    return false;
  }

  #kick(error: FragcastError, reason: string): void {
    const current = this.#current;
    if (!current) return;
    this.#endPublisher(current.publisher, reason);
    current.transport.kick(error);
  }

  #endPublisher(publisher: Publisher, reason: string | undefined): void {
    const current = this.#current;
    if (current?.publisher !== publisher) return;
    this.#current = undefined;
    clearTimeout(current.timer);
    const exit: SourceExit = { code: null, signal: null, ranForMs: Date.now() - current.startedAt, reason: reason ?? 'publisher ended' };
    this.#lastExit = exit;
    this.#log.info({ publisher: publisher.id, remote: current.remote, ranForMs: exit.ranForMs, reason: exit.reason }, 'publisher disconnected');
    this.safeEmit('exit', exit);
    if (this.#state !== 'closed') this.#setState('idle');
  }

  #setState(state: SourceState): void {
    if (this.#state === state) return;
    this.#state = state;
    this.safeEmit('state', state);
  }
}
