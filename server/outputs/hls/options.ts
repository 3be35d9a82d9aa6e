import { FragcastError } from '../../errors.ts';

/** The LL-HLS output and its DVR window. One object per server; every stream gets its own timeline with these settings. */
export interface HlsOptions {
  /**
   * Wanted part duration (s). Parts group whole fragments; the advertised
   * PART-TARGET is the nearest whole number of the stream's frame (fragment)
   * durations, measured on its first fragments. Default 0.2.
   */
  readonly partTargetSeconds: number;
  /**
   * Wanted segment duration (s, whole number): a segment holds as many whole
   * GOPs as fit. EXT-X-TARGETDURATION is this, or the first GOP's duration
   * rounded up when that is longer. Default 2.
   */
  readonly segmentTargetSeconds: number;
  /** Seconds of segments kept seekable (the DVR window). Default 120. */
  readonly windowSeconds: number;
  /** Bytes of segments held in memory per stream. Past it, the oldest spill to `spillDir`, or are dropped. Default 256 MiB. */
  readonly maxMemoryBytes: number;
  /** Directory for segments that do not fit in memory. Default none: they are dropped and the window shrinks. */
  readonly spillDir: string | undefined;
  /** Bytes of spilled segments per stream; past it the oldest are deleted. Default 4 GiB. */
  readonly maxSpillBytes: number;
}

export const HLS_DEFAULTS: HlsOptions = Object.freeze({
  partTargetSeconds: 0.2,
  segmentTargetSeconds: 2,
  windowSeconds: 120,
  maxMemoryBytes: 256 * 1024 * 1024,
  spillDir: undefined,
  maxSpillBytes: 4 * 1024 * 1024 * 1024,
});

/**
 * The rules between the part, segment and window durations (seconds), each
 * broken one as a message about the option it names, which calls the segment
 * target `segmentName`. Shared by resolveHlsOptions and the configuration
 * schema, which say the same rule in their own names.
 */
export function hlsDurationProblems(part: number, segment: number, window: number, segmentName: string): { readonly option: 'part' | 'window'; readonly message: string }[] {
  const problems: { option: 'part' | 'window'; message: string }[] = [];
  if (part * 2 > segment) problems.push({ option: 'part', message: `must be at most half of ${segmentName} (${segment} s)` });
  // RFC 8216bis §6.2.2: a live playlist never gets shorter than three target durations (and a fourth is being made).
  if (window < 4 * segment) problems.push({ option: 'window', message: `must be at least 4 × ${segmentName} (${4 * segment} s)` });
  return problems;
}

/** Merges `options` over the defaults, checks every key, and freezes the result. Throws INVALID_ARGUMENT listing every problem. */
export function resolveHlsOptions(options: Partial<HlsOptions> = {}): HlsOptions {
  const merged: HlsOptions = { ...HLS_DEFAULTS, ...options };
  const problems: string[] = [];
  const check = (ok: boolean, what: string): void => {
    if (!ok) problems.push(what);
  };
  const { partTargetSeconds: part, segmentTargetSeconds: segment, windowSeconds: window } = merged;
  check(Number.isFinite(part) && part >= 0.05 && part <= 2, `hls.partTargetSeconds must be 0.05 to 2, got ${part}`);
  check(Number.isInteger(segment) && segment >= 1 && segment <= 30, `hls.segmentTargetSeconds must be a whole number 1 to 30, got ${segment}`);
  check(Number.isFinite(window) && window <= 24 * 3600, `hls.windowSeconds must be at most 86400, got ${window}`);
  for (const { option, message } of hlsDurationProblems(part, segment, window, 'hls.segmentTargetSeconds')) {
    problems.push(option === 'part' ? `hls.partTargetSeconds (${part}) ${message}` : `hls.windowSeconds (${window}) ${message}`);
  }
  check(Number.isInteger(merged.maxMemoryBytes) && merged.maxMemoryBytes >= 4 * 1024 * 1024, `hls.maxMemoryBytes must be a whole number ≥ 4 MiB, got ${merged.maxMemoryBytes}`);
  check(merged.spillDir === undefined || (typeof merged.spillDir === 'string' && merged.spillDir.length > 0), 'hls.spillDir must be a directory path');
  check(Number.isInteger(merged.maxSpillBytes) && merged.maxSpillBytes >= 0, `hls.maxSpillBytes must be a whole number ≥ 0, got ${merged.maxSpillBytes}`);
  if (problems.length) throw new FragcastError('INVALID_ARGUMENT', { what: `Invalid HLS options:\n  ${problems.join('\n  ')}` });
  return Object.freeze(merged);
}
