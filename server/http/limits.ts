import type { FragcastConfig } from '../config/schema.ts';
import { FragcastError } from '../errors.ts';
import type { Viewers } from '../outputs/viewers.ts';
import type { Stream } from '../streams/stream.ts';
import { sendError } from './respond.ts';
import type { UWS } from './uws.ts';

/** How long a client over a viewer cap is told to wait: viewers come and go in seconds to minutes. */
const RETRY_FULL_SECONDS = '10';
/** How long a client over its own connection cap is told to wait: its own connections must end first. */
const RETRY_ADDRESS_SECONDS = '5';

/**
 * What one client address is counted as. IPv6 by its /64: one subscriber
 * (one home, one host at a provider) gets a /64 to pick addresses from,
 * so counting single addresses would count nothing.
 */
export function addressKey(address: string): string {
  if (!address.includes(':')) return address;
  const [head = '', tail = ''] = address.toLowerCase().split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = address.includes('::') ? [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right] : left;
  return `${groups.slice(0, 4).map((group) => group.replace(/^0+(?=.)/, '')).join(':')}::/64`;
}

/**
 * Limits at the door (docs/security.md): viewers per server and per
 * stream (503 + Retry-After), connections per client address (429 +
 * Retry-After), header size (431). Limits are read from the running
 * configuration at each check, so a reload applies to the next request.
 */
export class Limits {
  readonly #viewers: Viewers;
  readonly #config: () => FragcastConfig;
  /** Open viewer connections (sessions and waiting HLS requests) per addressKey. Entries go when they reach 0. */
  readonly #perAddress = new Map<string, number>();

  constructor(viewers: Viewers, config: () => FragcastConfig) {
    this.#viewers = viewers;
    this.#config = config;
  }

  /** limits.body_timeout, in ms. */
  get bodyTimeoutMs(): number {
    return this.#config().limits.body_timeout * 1000;
  }

  /** Control messages a WebSocket viewer may send per second (limits.viewer_messages). */
  get viewerMessagesPerSecond(): number {
    return this.#config().limits.viewer_messages;
  }

  /** Addresses with open connections now (tests, the attack script). */
  get addressesHeld(): number {
    return this.#perAddress.size;
  }

  /**
   * Whether the request's headers fit limits.header_size; answers 431 when
   * not. uWS lets far larger headers through (see docs/security.md). One
   * pass over a request's ~10 headers: well under a microsecond.
   */
  headersFit(res: UWS.HttpResponse, req: UWS.HttpRequest): boolean {
    const limit = this.#config().limits.header_size;
    let total = req.getUrl().length + (req.getQuery()?.length ?? 0);
    req.forEach((name, value) => {
      total += name.length + value.length + 4;
    });
    if (total <= limit) return true;
    // Not with Connection: close: under load, closing at once reset about one connection in a thousand before its client read the answer (the attack test).
    sendError(res, new FragcastError('HEADERS_TOO_LARGE', { limit }));
    return false;
  }

  /**
   * Whether a new viewer session of `stream` from `address` is within every
   * limit; answers 503 or 429 (with Retry-After) itself when not. Call
   * hold() when the session opens.
   */
  admitViewer(res: UWS.HttpResponse, stream: Stream, address: string): boolean {
    const config = this.#config();
    const refusal = this.#viewerRefusal(config, stream, address);
    if (!refusal) return true;
    sendError(res, refusal, [['Retry-After', refusal.status === 429 ? RETRY_ADDRESS_SECONDS : RETRY_FULL_SECONDS]]);
    return false;
  }

  /**
   * For a request that will wait (a blocking HLS request): counts it against
   * its address and returns the release, or answers 429 and returns undefined.
   */
  holdWaiting(res: UWS.HttpResponse, address: string): (() => void) | undefined {
    const limit = this.#config().limits.viewers_per_ip;
    if ((this.#perAddress.get(addressKey(address)) ?? 0) >= limit) {
      sendError(res, new FragcastError('TOO_MANY_CONNECTIONS', { address, limit }), [['Retry-After', RETRY_ADDRESS_SECONDS]]);
      return undefined;
    }
    return this.hold(address);
  }

  /** Counts a connection of `address` until the returned release is called (idempotent). */
  hold(address: string): () => void {
    const key = addressKey(address);
    this.#perAddress.set(key, (this.#perAddress.get(key) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.#perAddress.get(key) ?? 1) - 1;
      if (left > 0) this.#perAddress.set(key, left);
      else this.#perAddress.delete(key);
    };
  }

  #viewerRefusal(config: FragcastConfig, stream: Stream, address: string): FragcastError | undefined {
    if (this.#viewers.size >= config.limits.viewers) return new FragcastError('SERVER_VIEWER_LIMIT', { limit: config.limits.viewers });
    const perStream = (Object.hasOwn(config.streams, stream.name) ? config.streams[stream.name]! : config.defaults).viewers.max;
    if (perStream > 0 && this.#viewers.count(stream) >= perStream) return new FragcastError('STREAM_VIEWER_LIMIT', { stream: stream.name, limit: perStream });
    const perAddress = config.limits.viewers_per_ip;
    if ((this.#perAddress.get(addressKey(address)) ?? 0) >= perAddress) return new FragcastError('TOO_MANY_CONNECTIONS', { address, limit: perAddress });
    return undefined;
  }
}
