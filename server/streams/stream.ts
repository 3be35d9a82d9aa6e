import { MediaError } from '../errors.ts';
import { Fmp4Reader } from '../media/fmp4-reader.ts';
import { SafeEmitter } from '../safe-emitter.ts';
import type { Fragment, InitRecord } from './fragment.ts';
import { GopCache, type GopCacheOptions } from './gop-cache.ts';
import { MarkerStore, type Marker, type MarkerInput, type MarkerOptions } from './markers.ts';

export interface StreamEvents {
  [event: string]: unknown[];
  /** A new init segment: a new generation starts; the cache was cleared. */
  init: [InitRecord];
  /** Fragments parsed from one chunk of input, in order. Batched so an output can write them in one go per viewer. */
  fragments: [readonly Fragment[]];
  /** The input was malformed; the stream's parser was reset and its source should restart. */
  'input-error': [MediaError];
  /** How many consumers (viewers, variants) hold the stream now: on-demand sources start and stop by it. */
  demand: [number];
  /** A timeline marker was added. */
  marker: [Marker];
  /** The current init and the cached GOPs were forgotten (reset). */
  reset: [];
  close: [];
}

export interface StreamStats {
  readonly bytesIn: number;
  readonly fragmentsIn: number;
  readonly keyframesIn: number;
  readonly inputErrors: number;
  readonly lastFragmentMs: number | undefined;
}

export interface StreamOptions {
  readonly cache?: Partial<GopCacheOptions>;
  readonly markers?: Partial<MarkerOptions>;
}

/**
 * One live stream: the current init (with its generation), a GOP cache, its
 * timeline markers, and the fragments announced to whoever subscribed. A stream parses bytes that
 * its owner writes in; it knows neither its source nor its outputs.
 */
export class Stream extends SafeEmitter<StreamEvents> {
  readonly name: string;
  #cache: GopCache;
  #demand = 0;
  readonly markers: MarkerStore;
  #init: InitRecord | undefined;
  #generation = 0;
  #seq = 0;
  readonly #reader = new Fmp4Reader();
  #bytesIn = 0;
  #fragmentsIn = 0;
  #keyframesIn = 0;
  #inputErrors = 0;
  #lastFragmentMs: number | undefined;
  #closed = false;

  constructor(name: string, options: StreamOptions = {}) {
    super();
    this.name = name;
    this.#cache = new GopCache(options.cache);
    this.markers = new MarkerStore(options.markers);
  }

  get cache(): GopCache {
    return this.#cache;
  }

  /** Consumers holding the stream (see acquire). */
  get demand(): number {
    return this.#demand;
  }

  /**
   * A consumer (a viewer session, a variant) takes hold of the stream.
   * Outputs call this; the stream only counts and announces 'demand', so an
   * on-demand source can follow without streams knowing about outputs.
   */
  acquire(): void {
    if (this.#closed) return;
    this.#demand++;
    this.safeEmit('demand', this.#demand);
  }

  release(): void {
    if (this.#closed || this.#demand === 0) return;
    this.#demand--;
    this.safeEmit('demand', this.#demand);
  }

  /** New GOP cache bounds (a reconfigured stream); the cached GOPs go, the next keyframe starts afresh. */
  configureCache(options: Partial<GopCacheOptions>): void {
    this.#cache.clear();
    this.#cache = new GopCache(options);
  }

  /**
   * Forgets the current init and the cached GOPs: the source stopped (an
   * on-demand stream with no viewers left), so there is nothing current to
   * show, and the next viewer must wait for the next run rather than be
   * started on minutes-old media.
   */
  reset(): void {
    this.#reader.reset();
    this.#init = undefined;
    this.#cache.clear();
    this.safeEmit('reset');
  }

  get init(): InitRecord | undefined {
    return this.#init;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Sequence number of the newest fragment, 0 before any. */
  get lastSeq(): number {
    return this.#seq;
  }

  get stats(): StreamStats {
    return {
      bytesIn: this.#bytesIn,
      fragmentsIn: this.#fragmentsIn,
      keyframesIn: this.#keyframesIn,
      inputErrors: this.#inputErrors,
      lastFragmentMs: this.#lastFragmentMs,
    };
  }

  /** Bits per second of the newest complete GOP, or undefined before one is complete. */
  get bitrate(): number | undefined {
    const gop = this.cache.lastComplete;
    return gop && gop.duration > 0 ? (gop.bytes * 8) / gop.duration : undefined;
  }

  /**
   * Feeds bytes from the stream's source. Malformed input emits
   * 'input-error' (after the fragments parsed before the fault) and resets
   * the parser; the cache and current init stay, so viewers see a stall.
   * The chunk must not be mutated afterwards.
   */
  write(chunk: Buffer): void {
    if (this.#closed) return;
    this.#bytesIn += chunk.length;
    let batch: Fragment[] = [];
    try {
      this.#reader.push(chunk, (output) => {
        if (output.kind === 'fragment') {
          batch.push(this.#acceptFragment(output.fragment.bytes, output.fragment.info));
          return;
        }
        if (batch.length) this.safeEmit('fragments', batch);
        batch = [];
        this.#acceptInit(output.init.bytes, output.init.info);
      });
    } catch (error) {
      if (batch.length) this.safeEmit('fragments', batch);
      this.#inputFailed(error);
      return;
    }
    if (batch.length) this.safeEmit('fragments', batch);
  }

  /** The source's output ended (process exit, publisher gone): the next bytes start a fresh fMP4 stream. */
  endInput(): void {
    try {
      this.#reader.end();
    } catch (error) {
      this.#inputFailed(error);
    }
    this.#reader.reset();
  }

  /** Adds a marker to the timeline and announces it. */
  addMarker(input: MarkerInput): Marker {
    const marker = this.markers.add(input);
    this.safeEmit('marker', marker);
    return marker;
  }

  /**
   * Takes an init that another thread's stream of the same name accepted
   * (its replica in a fan-out thread, server/http/fanout/): the same record,
   * generation included, so that viewers served there see what the origin's
   * do.
   */
  replicateInit(init: InitRecord): void {
    if (this.#closed) return;
    this.#generation = init.generation;
    this.#init = init;
    this.#cache.clear();
    this.safeEmit('init', init);
  }

  /** Takes fragments that another thread's stream of the same name accepted, with their sequence numbers and arrival stamps (see replicateInit). */
  replicateFragments(fragments: readonly Fragment[]): void {
    if (this.#closed || fragments.length === 0) return;
    for (const fragment of fragments) {
      this.#fragmentsIn++;
      this.#bytesIn += fragment.bytes.length;
      if (fragment.keyframe) this.#keyframesIn++;
      this.#seq = fragment.seq;
      this.#lastFragmentMs = fragment.arrivalMs;
      this.#cache.push(fragment);
    }
    this.safeEmit('fragments', fragments);
  }

  /** Takes a marker that another thread's stream of the same name added (see replicateInit). */
  replicateMarker(marker: Marker): void {
    if (this.#closed) return;
    this.markers.adopt(marker);
    this.safeEmit('marker', marker);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#cache.clear();
    this.safeEmit('close');
    this.removeAllListeners();
  }

  #acceptInit(bytes: Buffer, info: InitRecord['info']): void {
    this.#generation++;
    this.#init = { bytes, info, generation: this.#generation, arrivalMs: Date.now() };
    this.#cache.clear();
    this.safeEmit('init', this.#init);
  }

  #acceptFragment(bytes: Buffer, info: Fragment['info']): Fragment {
    const fragment: Fragment = {
      seq: ++this.#seq,
      generation: this.#generation,
      bytes,
      keyframe: info.keyframe,
      info,
      arrivalMs: Date.now(),
    };
    this.#fragmentsIn++;
    if (fragment.keyframe) this.#keyframesIn++;
    this.#lastFragmentMs = fragment.arrivalMs;
    this.#cache.push(fragment);
    return fragment;
  }

  #inputFailed(error: unknown): void {
    this.#inputErrors++;
    const offset = this.#reader.bytesIn;
    this.#reader.reset();
    // A non-MediaError here is a parser bug; it still must not take the server down.
    const mediaError = error instanceof MediaError ? error : new MediaError('MEDIA_FRAGMENT_INVALID', { offset, why: String(error) });
    this.safeEmit('input-error', mediaError);
  }
}
