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
}

export const LATENCY_DEFAULTS: LatencyControllerOptions = Object.freeze({
  targetBuffer: 0.3,
  jumpAfter: 1,
  maxRate: 1.15,
  minRate: 0.9,
  deadband: 0.05,
});

export interface PlayheadState {
  readonly currentTime: number;
  /** End of the buffered range that contains the playhead (or the last range). */
  readonly bufferedEnd: number;
  /** Start of the next buffered range after the playhead, if the playhead sits in a gap. */
  readonly nextRangeStart: number | undefined;
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

  decide({ currentTime, bufferedEnd, nextRangeStart }: PlayheadState): LatencyDecision {
    const { targetBuffer, jumpAfter, maxRate, minRate, deadband } = this.options;
    if (nextRangeStart !== undefined && nextRangeStart > currentTime) {
      // Stuck in a gap (a skip, a reconnect): jump over it to the live side.
      return { playbackRate: 1, seekTo: Math.max(nextRangeStart, bufferedEnd - targetBuffer) };
    }
    const ahead = bufferedEnd - currentTime;
    if (ahead > targetBuffer + jumpAfter) return { playbackRate: 1, seekTo: bufferedEnd - targetBuffer };
    const error = ahead - targetBuffer;
    if (Math.abs(error) <= deadband) return { playbackRate: 1, seekTo: undefined };
    // Proportional: 1 s over the target asks for +25 %, clamped; rounded to avoid churning the media pipeline.
    const rate = Math.min(maxRate, Math.max(minRate, 1 + error * 0.25));
    return { playbackRate: Math.round(rate * 100) / 100, seekTo: undefined };
  }
}
