import { randomBytes } from 'node:crypto';
import { FragcastError } from '../../errors.ts';
import type { Logger } from '../../logger.ts';
import type { Fragment, InitRecord } from '../../streams/fragment.ts';
import type { Stream } from '../../streams/stream.ts';
import { decodeJpeg } from './jpeg-decoder.ts';
import { LruCache } from './lru-cache.ts';
import { Semaphore } from './semaphore.ts';

export interface SnapshotOptions {
  /** ffmpeg decoders running at once. Default 2: a snapshot burst must not starve the fan-out of a small machine. */
  readonly maxConcurrentDecodes: number;
  /** Distinct decodes (stream, keyframe, width) waiting for a decoder; past it, SNAPSHOT_BUSY. Default 16. */
  readonly maxQueuedDecodes: number;
  /** A decoder still running after this is killed: SNAPSHOT_TIMEOUT. Default 5000 ms. */
  readonly decodeTimeoutMs: number;
  /** Largest JPEG taken from ffmpeg. Default 4 MiB. */
  readonly maxJpegBytes: number;
  /** JPEGs (and decode failures) kept, keyed by stream, keyframe and width. Default 64. */
  readonly cacheEntries: number;
  /** Bytes of JPEGs kept. Default 16 MiB. */
  readonly cacheBytes: number;
  /** Requested widths are clamped to [minWidth, min(maxWidth, source width)]. Defaults 32 and 3840. */
  readonly minWidth: number;
  readonly maxWidth: number;
}

export const SNAPSHOT_DEFAULTS: SnapshotOptions = Object.freeze({
  maxConcurrentDecodes: 2,
  maxQueuedDecodes: 16,
  decodeTimeoutMs: 5000,
  maxJpegBytes: 4 * 1024 * 1024,
  cacheEntries: 64,
  cacheBytes: 16 * 1024 * 1024,
  minWidth: 32,
  maxWidth: 3840,
});

/** How a JPEG request that found a keyframe was answered. */
export type SnapshotServed = 'cache' | 'joined' | 'decoded' | 'busy';
export type DecodeResult = 'ok' | 'failed' | 'timeout';

/** Where snapshot counts go (metrics). */
export interface SnapshotObserver {
  served(stream: string, how: SnapshotServed): void;
  decoded(stream: string, result: DecodeResult, seconds: number): void;
}

/** The newest keyframe of a stream: what a snapshot is made of. */
export interface Keyframe {
  readonly stream: string;
  readonly init: InitRecord;
  readonly fragment: Fragment;
  readonly sourceWidth: number;
  /** Seconds until the next keyframe is due (the GOP duration less this keyframe's age), at least 1: the HTTP max-age. */
  readonly maxAgeSeconds: number;
  /** Names this keyframe across server restarts: boot id, generation, sequence number. */
  readonly tag: string;
}

export interface JpegSnapshot {
  readonly jpeg: Buffer;
  readonly width: number;
  readonly etag: string;
  readonly maxAgeSeconds: number;
}

export interface Mp4Snapshot {
  /** The init segment followed by the keyframe fragment. */
  readonly mp4: Buffer;
  readonly etag: string;
  readonly maxAgeSeconds: number;
}

/**
 * Parses the `width` query parameter: absent is undefined (the source
 * width); anything but 1-5 decimal digits with a value ≥ 1 is
 * SNAPSHOT_WIDTH_INVALID. Range is handled by clamping, not by refusing.
 */
export function parseSnapshotWidth(text: string | undefined, options: Pick<SnapshotOptions, 'minWidth' | 'maxWidth'> = SNAPSHOT_DEFAULTS): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!/^\d{1,5}$/.test(text) || value < 1) {
    throw new FragcastError('SNAPSHOT_WIDTH_INVALID', { value: text.slice(0, 40), min: options.minWidth, max: options.maxWidth });
  }
  return value;
}

/**
 * Pictures of streams: a JPEG of the newest keyframe, decoded by ffmpeg from
 * the init segment plus that keyframe's fragment, or that tiny MP4 itself.
 *
 * However many requests arrive, each (stream, keyframe, width) is decoded at
 * most once: finished JPEGs come from an LRU cache, and requests for one
 * that is being decoded wait for that decode (single flight). At most
 * maxConcurrentDecodes decoders run at once; distinct decodes beyond that
 * queue, up to maxQueuedDecodes, and then are refused with SNAPSHOT_BUSY.
 * A failed decode is cached too (the same bytes would fail again); a timeout
 * is not (the machine may just have been busy).
 */
export class Snapshots {
  readonly options: SnapshotOptions;
  readonly #ffmpegPath: string;
  readonly #log: Logger;
  readonly #observer: SnapshotObserver | undefined;
  readonly #cache: LruCache<Buffer | FragcastError>;
  readonly #inflight = new Map<string, Promise<Buffer>>();
  readonly #slots: Semaphore;
  readonly #stop = new AbortController();
  /** Generations and sequence numbers restart with the server; the boot id keeps old ETags from matching new pictures. */
  readonly #boot = randomBytes(4).toString('hex');
  /** One concatenation per stream for snapshot.mp4, reused until the keyframe changes: a burst copies nothing. */
  readonly #mp4 = new Map<string, { tag: string; mp4: Buffer }>();

  constructor(options: { ffmpegPath: string; logger: Logger; observer?: SnapshotObserver; snapshot?: Partial<SnapshotOptions> }) {
    this.options = Object.freeze({ ...SNAPSHOT_DEFAULTS, ...options.snapshot });
    this.#ffmpegPath = options.ffmpegPath;
    this.#log = options.logger;
    this.#observer = options.observer;
    this.#cache = new LruCache(this.options.cacheEntries, this.options.cacheBytes);
    this.#slots = new Semaphore(this.options.maxConcurrentDecodes, this.options.maxQueuedDecodes);
  }

  /** Decoders running now. */
  get decoding(): number {
    return this.#slots.active;
  }

  /** The newest keyframe, or STREAM_NOT_READY (no init or keyframe yet) / SNAPSHOT_NO_VIDEO (audio only). */
  keyframe(stream: Stream): Keyframe {
    const init = stream.init;
    if (!init) throw new FragcastError('STREAM_NOT_READY', { stream: stream.name });
    const video = init.info.tracks.find((track) => track.kind === 'video');
    if (!video) throw new FragcastError('SNAPSHOT_NO_VIDEO', { stream: stream.name });
    const gop = stream.cache.newest;
    if (!gop) throw new FragcastError('STREAM_NOT_READY', { stream: stream.name });
    const fragment = gop.first;
    const gopSeconds = stream.cache.lastComplete?.duration || gop.duration || 1;
    return {
      stream: stream.name,
      init,
      fragment,
      sourceWidth: video.width ?? this.options.maxWidth,
      maxAgeSeconds: Math.max(1, Math.round(gopSeconds - (Date.now() - fragment.arrivalMs) / 1000)),
      tag: `${this.#boot}-${fragment.generation}-${fragment.seq}`,
    };
  }

  /** The width a JPEG is made at: the request's (or the source's), clamped to [minWidth, min(maxWidth, source width)]. */
  widthFor(keyframe: Keyframe, requested: number | undefined): number {
    const { minWidth, maxWidth } = this.options;
    const upper = Math.max(minWidth, Math.min(maxWidth, keyframe.sourceWidth));
    return Math.min(upper, Math.max(minWidth, requested ?? keyframe.sourceWidth));
  }

  /** A JPEG of the newest keyframe; rejects with a FragcastError (see keyframe(), SNAPSHOT_BUSY, _DECODE_FAILED, _TIMEOUT). */
  async jpeg(stream: Stream, requestedWidth?: number): Promise<JpegSnapshot> {
    const keyframe = this.keyframe(stream);
    const width = this.widthFor(keyframe, requestedWidth);
    const key = `${stream.name}/${keyframe.tag}/${width}`;
    const done = (jpeg: Buffer): JpegSnapshot => ({ jpeg, width, etag: `"${keyframe.tag}-${width}"`, maxAgeSeconds: keyframe.maxAgeSeconds });

    const cached = this.#cache.get(key);
    if (cached) {
      this.#observer?.served(stream.name, 'cache');
      if (cached instanceof FragcastError) throw cached;
      return done(cached);
    }
    let decode = this.#inflight.get(key);
    if (decode) {
      this.#observer?.served(stream.name, 'joined');
      return done(await decode);
    }
    const slot = this.#slots.acquire();
    if (!slot) {
      this.#observer?.served(stream.name, 'busy');
      throw new FragcastError('SNAPSHOT_BUSY', { queued: this.#slots.waiting });
    }
    this.#observer?.served(stream.name, 'decoded');
    decode = this.#decode(keyframe, width, key, slot).finally(() => this.#inflight.delete(key));
    this.#inflight.set(key, decode);
    return done(await decode);
  }

  /** The init segment plus the newest keyframe fragment: a one-frame MP4 for clients that decode it themselves. */
  mp4(stream: Stream): Mp4Snapshot {
    const keyframe = this.keyframe(stream);
    let memo = this.#mp4.get(stream.name);
    if (memo?.tag !== keyframe.tag) {
      memo = { tag: keyframe.tag, mp4: Buffer.concat([keyframe.init.bytes, keyframe.fragment.bytes]) };
      this.#mp4.set(stream.name, memo);
    }
    return { mp4: memo.mp4, etag: `"${keyframe.tag}"`, maxAgeSeconds: keyframe.maxAgeSeconds };
  }

  /** Kills running decoders (their requests fail) and drops the cache. Idempotent. */
  close(): void {
    this.#stop.abort();
    this.#cache.clear();
    this.#mp4.clear();
  }

  async #decode(keyframe: Keyframe, width: number, key: string, slot: Promise<() => void>): Promise<Buffer> {
    const release = await slot;
    const started = performance.now();
    try {
      const jpeg = await decodeJpeg({
        ffmpegPath: this.#ffmpegPath,
        stream: keyframe.stream,
        mp4: [keyframe.init.bytes, keyframe.fragment.bytes],
        width,
        timeoutMs: this.options.decodeTimeoutMs,
        maxBytes: this.options.maxJpegBytes,
        signal: this.#stop.signal,
      });
      const seconds = (performance.now() - started) / 1000;
      this.#observer?.decoded(keyframe.stream, 'ok', seconds);
      this.#log.debug({ stream: keyframe.stream, width, bytes: jpeg.length, ms: Math.round(seconds * 1000) }, 'snapshot decoded');
      if (!this.#stop.signal.aborted) this.#cache.set(key, jpeg, jpeg.length);
      return jpeg;
    } catch (error) {
      const failure = error as FragcastError;
      const result: DecodeResult = failure.code === 'SNAPSHOT_TIMEOUT' ? 'timeout' : 'failed';
      this.#observer?.decoded(keyframe.stream, result, (performance.now() - started) / 1000);
      this.#log.warn({ stream: keyframe.stream, width, code: failure.code, err: failure.message }, 'snapshot decode failed');
      if (result === 'failed' && !this.#stop.signal.aborted) this.#cache.set(key, failure, 256);
      throw error;
    } finally {
      release();
    }
  }
}
