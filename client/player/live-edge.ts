import { startPlayback } from './autoplay.ts';
import type { PlayerError, PlayerStats } from './events.ts';
import type { LatencyController } from './latency-controller.ts';

export interface LiveEdgeOptions {
  /**
   * Whether the element can seek within what it buffered. A MediaSource can;
   * a progressive `<video src=live.mp4>` cannot (Chromium gives it an empty
   * seekable range and a seek there restarts the download from the old
   * position), so there a jump means asking for the stream again.
   */
  readonly seekable: boolean;
  /** Called instead of seeking when the element cannot seek and is far behind (or the user asks for live). */
  readonly reload: () => void;
  readonly report: (error: PlayerError) => void;
}

/** More than this many seconds over the target (or paused) and the player shows as behind live. */
export const BEHIND_AFTER_S = 1;

/**
 * Applies the latency controller's decisions to a video element that plays
 * fragments as they arrive (WebSocket + MSE, chunked MP4): it starts at the
 * live edge once there is data, then holds the target buffer with the
 * playback rate, and jumps when far behind or stuck before a gap.
 */
export class LiveEdge {
  readonly controller: LatencyController;
  readonly #video: HTMLVideoElement;
  readonly #options: LiveEdgeOptions;
  #started = false;
  /** Started, and the target not yet reached once: the controller catches up briskly (settleMaxRate). */
  #settling = false;

  constructor(video: HTMLVideoElement, controller: LatencyController, options: LiveEdgeOptions) {
    this.#video = video;
    this.controller = controller;
    this.#options = options;
  }

  get started(): boolean {
    return this.#started;
  }

  /** A new download begins (chunked MP4): start again at its first data. */
  restart(): void {
    this.#started = false;
  }

  /** Every 250 ms (and on the first append): start when there is data, then hold the live edge. `waiting`: the element stalled. */
  steer(waiting: boolean): void {
    const video = this.#video;
    const around = this.#around();
    if (!around) return;
    if (!this.#started) {
      this.#started = true;
      this.#settling = true;
      // Instant start: the GOP replay buffered up to a second; begin at the live edge, not at the keyframe.
      if (this.#options.seekable) video.currentTime = Math.max(around.lastStart, around.lastEnd - this.controller.target);
      startPlayback(video, this.#options.report);
      return;
    }
    if (video.paused && !video.ended) return;
    const decision = this.controller.decide({
      currentTime: video.currentTime,
      bufferedEnd: around.rangeEnd,
      // In a gap, or stalled with a range after this one (Chromium will not play the last frames of a range whose
      // tracks end unevenly, as at a source restart): the next range is where playback goes on.
      nextRangeStart: around.gapBefore ?? (waiting ? around.rangeAfter : undefined),
      // Not while stalled: a catch-up over media that is not flowing would only empty the buffer faster.
      settling: this.#settling && !waiting,
      now: performance.now() / 1000,
    });
    if (decision.playbackRate === 1 && decision.seekTo === undefined) this.#settling = false;
    if (decision.seekTo !== undefined && Math.abs(decision.seekTo - video.currentTime) > 0.05) {
      if (this.#options.seekable) video.currentTime = decision.seekTo;
      else this.#options.reload();
    }
    if (video.playbackRate !== decision.playbackRate) video.playbackRate = decision.playbackRate;
  }

  /**
   * The element stalled (its `waiting` event). Once playing has settled, a
   * stall means the target is too thin for this network: the controller
   * raises it. Stalls while starting are the start's, not the network's.
   */
  stalled(): void {
    // A seek (a jump to the live edge, over a gap, the LIVE badge) makes the element wait too: not the network's doing.
    if (this.#started && !this.#settling && !this.#video.seeking) this.controller.stalled(performance.now() / 1000);
  }

  /** Seconds buffered ahead of the playhead, in the range that holds it. */
  get ahead(): number {
    const around = this.#around();
    return around ? Math.max(0, around.rangeEnd - this.#video.currentTime) : 0;
  }

  /** Playing, and no more than BEHIND_AFTER_S over the target. */
  get live(): boolean {
    return this.#started && !this.#video.paused && this.ahead <= this.controller.target + BEHIND_AFTER_S;
  }

  /** The figures of the stats that come from here. */
  get figures(): Pick<PlayerStats, 'buffer' | 'targetLatency' | 'live'> {
    return { buffer: this.ahead, targetLatency: this.controller.target, live: this.live };
  }

  /** Back to the live edge (the LIVE badge's click): jump to the target behind the newest media, and play. */
  goLive(): void {
    const around = this.#around();
    if (this.#options.seekable && around) this.#video.currentTime = Math.max(around.lastStart, around.lastEnd - this.controller.target);
    else if (!this.#options.seekable && this.ahead > this.controller.target + BEHIND_AFTER_S) this.#options.reload();
    this.#video.playbackRate = 1;
    startPlayback(this.#video, this.#options.report);
  }

  /**
   * Where the playhead is among the buffered ranges: the end of the range
   * holding it (else of the last), the start of the range after the gap it
   * sits in, or of the range after the one holding it; and the last range.
   */
  #around(): { rangeEnd: number; gapBefore: number | undefined; rangeAfter: number | undefined; lastStart: number; lastEnd: number } | undefined {
    const buffered = this.#video.buffered;
    if (!buffered.length) return undefined;
    const current = this.#video.currentTime;
    const last = buffered.length - 1;
    for (let i = 0; i < buffered.length; i++) {
      const rangeAfter = i < last ? buffered.start(i + 1) : undefined;
      if (current >= buffered.start(i) - 0.01 && current <= buffered.end(i)) {
        return { rangeEnd: buffered.end(i), gapBefore: undefined, rangeAfter, lastStart: buffered.start(last), lastEnd: buffered.end(last) };
      }
      if (buffered.start(i) > current) {
        return { rangeEnd: buffered.end(last), gapBefore: buffered.start(i), rangeAfter: undefined, lastStart: buffered.start(last), lastEnd: buffered.end(last) };
      }
    }
    return { rangeEnd: buffered.end(last), gapBefore: undefined, rangeAfter: undefined, lastStart: buffered.start(last), lastEnd: buffered.end(last) };
  }
}
