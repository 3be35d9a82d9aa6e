import type { Fragment } from '../streams/fragment.ts';

export interface KeyframeGateOptions {
  /** Past this many bytes buffered for the viewer, it skips fragments until the next keyframe. Default 1 MiB. */
  readonly maxBufferedBytes: number;
  /** A skipping viewer resumes at a keyframe only once its buffer is at or below this. Default 256 KiB. */
  readonly resumeBufferedBytes: number;
  /** A viewer that keeps skipping this long is closed. Default 10 s. */
  readonly maxBehindMs: number;
}

export const KEYFRAME_GATE_DEFAULTS: KeyframeGateOptions = Object.freeze({
  maxBufferedBytes: 1024 * 1024,
  resumeBufferedBytes: 256 * 1024,
  maxBehindMs: 10_000,
});

/** Verdicts; numbers, not strings, because decide() runs per fragment per viewer. */
export const SEND = 0;
export const SKIP = 1;
export const CLOSE = 2;
export type GateVerdict = typeof SEND | typeof SKIP | typeof CLOSE;

/**
 * Per-viewer backpressure policy, shared by every output.
 *
 * A viewer whose buffer passes maxBufferedBytes stops receiving and waits for
 * a keyframe at which its buffer has drained to resumeBufferedBytes: it never
 * gets a partial GOP after a gap (the decoder would show garbage until the
 * next keyframe), and its buffer never grows past the bound plus one batch.
 * A new viewer starts in the waiting state, so its first fragment is a
 * keyframe whatever moment it joins.
 */
export class KeyframeGate {
  readonly options: KeyframeGateOptions;
  #waiting = true;
  /** When the current skip episode began (ms), or -1 when not behind. A new viewer waiting for its first keyframe is not behind. */
  #behindSince = -1;
  #skippedFragments = 0;
  #skipEpisodes = 0;
  #episodeSkipped = 0;

  constructor(options: Partial<KeyframeGateOptions> = {}) {
    this.options = { ...KEYFRAME_GATE_DEFAULTS, ...options };
  }

  /** Fragments not sent because the viewer was behind. */
  get skippedFragments(): number {
    return this.#skippedFragments;
  }

  /** Times the viewer fell behind and began skipping. */
  get skipEpisodes(): number {
    return this.#skipEpisodes;
  }

  /** Fragments skipped in the current (or, after a resume, the last) skip episode. */
  get episodeSkipped(): number {
    return this.#episodeSkipped;
  }

  /** Takes the counters of a gate that runs in another thread for this viewer (a RemoteViewerSession's). */
  mirror(skippedFragments: number, skipEpisodes: number): void {
    this.#skippedFragments = skippedFragments;
    this.#skipEpisodes = skipEpisodes;
  }

  get behind(): boolean {
    return this.#behindSince >= 0;
  }

  /** Makes the next fragment sent be a keyframe (a new init, a fresh start), without counting a skip. */
  waitForKeyframe(): void {
    this.#waiting = true;
  }

  decide(fragment: Fragment, bufferedBytes: number, nowMs: number): GateVerdict {
    if (!this.#waiting) {
      if (bufferedBytes <= this.options.maxBufferedBytes) return SEND;
      this.#waiting = true;
      this.#behindSince = nowMs;
      this.#skipEpisodes++;
      this.#skippedFragments++;
      this.#episodeSkipped = 1;
      return SKIP;
    }
    if (fragment.keyframe && bufferedBytes <= this.options.resumeBufferedBytes) {
      this.#waiting = false;
      this.#behindSince = -1;
      return SEND;
    }
    if (this.#behindSince < 0) return SKIP;
    this.#skippedFragments++;
    this.#episodeSkipped++;
    return nowMs - this.#behindSince > this.options.maxBehindMs ? CLOSE : SKIP;
  }
}
