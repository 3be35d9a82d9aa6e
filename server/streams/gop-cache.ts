import type { Fragment } from './fragment.ts';

export interface GopCacheOptions {
  /** Hard bound on cached bytes. Default 32 MiB. */
  readonly maxBytes: number;
  /** Seconds of media to keep when memory allows; older GOPs go first. Default 4. */
  readonly maxSeconds: number;
  /** GOPs kept whatever their duration, as long as they fit in maxBytes. Default 2. */
  readonly minGops: number;
}

export const GOP_CACHE_DEFAULTS: GopCacheOptions = Object.freeze({
  maxBytes: 32 * 1024 * 1024,
  maxSeconds: 4,
  minGops: 2,
});

/** A run of fragments that starts with a keyframe fragment. */
export class Gop {
  readonly fragments: Fragment[] = [];
  bytes = 0;
  /** Seconds of the primary track covered. */
  duration = 0;

  constructor(first: Fragment) {
    this.add(first);
  }

  add(fragment: Fragment): void {
    this.fragments.push(fragment);
    this.bytes += fragment.bytes.length;
    this.duration += fragment.info.duration;
  }

  get first(): Fragment {
    return this.fragments[0]!;
  }
}

/**
 * The recent GOPs of a stream, for an instant start. Bounded in bytes
 * always, and in time once it holds at least `minGops` GOPs.
 *
 * Fragments before the first keyframe have no GOP to join and are not
 * cached. A single GOP that outgrows maxBytes (a source with a very long
 * keyframe interval) is dropped whole and caching pauses until the next
 * keyframe: a partial GOP is useless to a new viewer, and memory must stay
 * bounded whatever the input does.
 */
export class GopCache {
  readonly options: GopCacheOptions;
  readonly #gops: Gop[] = [];
  #bytes = 0;
  #duration = 0;
  /** True while the current GOP was dropped for size and we wait for a keyframe. */
  #overflowed = false;
  #overflows = 0;

  constructor(options: Partial<GopCacheOptions> = {}) {
    this.options = Object.freeze({ ...GOP_CACHE_DEFAULTS, ...options });
  }

  get bytes(): number {
    return this.#bytes;
  }

  /** Seconds covered by all cached GOPs. */
  get duration(): number {
    return this.#duration;
  }

  get gopCount(): number {
    return this.#gops.length;
  }

  /** How many times a GOP outgrew maxBytes and was dropped. */
  get overflows(): number {
    return this.#overflows;
  }

  /** The newest GOP (a new viewer starts with its fragments), or undefined before the first keyframe. */
  get newest(): Gop | undefined {
    return this.#overflowed ? undefined : this.#gops.at(-1);
  }

  /** The newest complete GOP (one that a later keyframe closed). */
  get lastComplete(): Gop | undefined {
    return this.#gops.at(this.#overflowed ? -1 : -2);
  }

  gops(): readonly Gop[] {
    return this.#gops;
  }

  push(fragment: Fragment): void {
    if (fragment.keyframe) {
      this.#overflowed = false;
      this.#gops.push(new Gop(fragment));
    } else {
      const open = this.#gops.at(-1);
      if (!open || this.#overflowed) return;
      open.add(fragment);
    }
    this.#bytes += fragment.bytes.length;
    this.#duration += fragment.info.duration;
    this.#evict();
  }

  clear(): void {
    this.#gops.length = 0;
    this.#bytes = 0;
    this.#duration = 0;
    this.#overflowed = false;
  }

  #evict(): void {
    const { maxBytes, maxSeconds, minGops } = this.options;
    // Time: drop the oldest GOP while the rest still covers maxSeconds.
    while (this.#gops.length > minGops && this.#duration - this.#gops[0]!.duration >= maxSeconds) this.#dropOldest();
    // Bytes: a hard bound, even below minGops.
    while (this.#bytes > maxBytes && this.#gops.length > 1) this.#dropOldest();
    if (this.#bytes > maxBytes) {
      this.#dropOldest();
      this.#overflowed = true;
      this.#overflows++;
    }
  }

  #dropOldest(): void {
    const gop = this.#gops.shift()!;
    this.#bytes -= gop.bytes;
    this.#duration -= gop.duration;
  }
}
