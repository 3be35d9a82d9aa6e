/**
 * Holds the playhead near the live edge. Pure: given the buffer around the
 * playhead it returns a playback rate and, when far behind, a position to
 * jump to. The player applies the decision; tests drive it with numbers.
 *
 * It steers the *buffer ahead* of the playhead (bufferedEnd - currentTime),
 * not the measured glass-to-glass latency: the latter includes encoding and
 * transport delays no rate change can remove, and steering on it would
 * drain the buffer into stalls.
 */

export interface LatencyControllerOptions {
  /** Seconds of buffer to keep ahead of the playhead. Default 0.3. */
  readonly targetBuffer: number;
  /** Past target + this many seconds behind, jump instead of speeding up. Default 1: at 1.15× a second takes 7 s to win back. */
  readonly jumpAfter: number;
  /** Fastest catch-up rate. Default 1.15 (audible but not chipmunk). */
  readonly maxRate: number;
  /** Slowest rate, used when the buffer runs thin. Default 0.9. */
  readonly minRate: number;
  /** Within ± this many seconds of the target, play at 1.0. Default 0.05. */
  readonly deadband: number;
  /**
   * Fastest rate while settling after a start, until the target is first
   * reached. Default 1.5. A start lands at the target, but the decoder then
   * works up from the keyframe while media keeps arriving: the buffer
   * stands 0.2-0.3 s over the target once frames flow (measured on
   * loopback in Chromium), which the gentle steady-state gain would take
   * ten seconds to remove. A brisk catch-up right after the first frame
   * goes unnoticed; later, it would not.
   */
  readonly settleMaxRate: number;
}

export const LATENCY_DEFAULTS: LatencyControllerOptions = Object.freeze({
  targetBuffer: 0.3,
  jumpAfter: 1,
  maxRate: 1.15,
  minRate: 0.9,
  deadband: 0.05,
  settleMaxRate: 1.5,
});

export interface PlayheadState {
  readonly currentTime: number;
  /** End of the buffered range that contains the playhead (or the last range). */
  readonly bufferedEnd: number;
  /** Start of the next buffered range after the playhead, if the playhead sits in a gap. */
  readonly nextRangeStart: number | undefined;
  /** Just started, and the target not reached yet: catch up briskly (settleMaxRate). */
  readonly settling?: boolean;
}

export interface LatencyDecision {
  readonly playbackRate: number;
  /** Set when the player should seek: far behind, or stuck before a gap. */
  readonly seekTo: number | undefined;
}

export class LatencyController {
  readonly options: LatencyControllerOptions;

  constructor(options: Partial<LatencyControllerOptions> = {}) {
    this.options = Object.freeze({ ...LATENCY_DEFAULTS, ...options });
  }

  decide({ currentTime, bufferedEnd, nextRangeStart, settling = false }: PlayheadState): LatencyDecision {
    const { targetBuffer, jumpAfter, maxRate, minRate, deadband, settleMaxRate } = this.options;
    if (nextRangeStart !== undefined && nextRangeStart > currentTime) {
      // Stuck in a gap (a skip, a reconnect): jump over it to the live side.
      return { playbackRate: 1, seekTo: Math.max(nextRangeStart, bufferedEnd - targetBuffer) };
    }
    const ahead = bufferedEnd - currentTime;
    if (ahead > targetBuffer + jumpAfter) return { playbackRate: 1, seekTo: bufferedEnd - targetBuffer };
    const error = ahead - targetBuffer;
    if (Math.abs(error) <= deadband) return { playbackRate: 1, seekTo: undefined };
    // Proportional: 1 s over the target asks for +25 % (+100 % while settling), clamped; rounded to avoid churning the media pipeline.
    const rate = Math.min(settling ? Math.max(maxRate, settleMaxRate) : maxRate, Math.max(minRate, 1 + error * (settling ? 1 : 0.25)));
    return { playbackRate: Math.round(rate * 100) / 100, seekTo: undefined };
  }
}
