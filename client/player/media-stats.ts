/** Figures every player mode reports the same way. */

import type { PlayerStats } from './events.ts';

/** What the video element itself says: frames, size, rate. */
export function videoFigures(video: HTMLVideoElement): Pick<PlayerStats, 'droppedFrames' | 'decodedFrames' | 'playbackRate' | 'width' | 'height'> {
  const quality = video.getVideoPlaybackQuality?.();
  return {
    droppedFrames: quality?.droppedVideoFrames ?? 0,
    decodedFrames: quality?.totalVideoFrames ?? 0,
    playbackRate: video.playbackRate,
    width: video.videoWidth,
    height: video.videoHeight,
  };
}

/**
 * Time to first frame, as every player mode reports it: from load() to the
 * first frame the element presents, at requestVideoFrameCallback's expected
 * display time. Where the browser has no such callback, `playing` stands in.
 * The callback is the evidence itself: at the first frame of a start (the
 * seek to the live edge still completing) readyState can read
 * HAVE_METADATA, and waiting for the next frame past it reported 50-110 ms
 * late in headless Chromium.
 */
export class FirstFrameClock {
  #loadStartedAt = 0;
  #firstFrameAt: number | undefined;
  #watchesFrames = false;

  /** The player's load() on `video`: the clock starts, and watches for the element's first frame. */
  loadStarted(video: HTMLVideoElement): void {
    this.#loadStartedAt = performance.now();
    this.#watchesFrames = typeof video.requestVideoFrameCallback === 'function';
    if (this.#watchesFrames) video.requestVideoFrameCallback((_now, frame) => (this.#firstFrameAt ??= frame.expectedDisplayTime));
  }

  /** The element's `playing` event: the first frame's time where frames cannot be watched. */
  playing(): void {
    if (!this.#watchesFrames) this.#firstFrameAt ??= performance.now();
  }

  get shown(): boolean {
    return this.#firstFrameAt !== undefined;
  }

  get figures(): Pick<PlayerStats, 'timeToFirstFrame' | 'firstFrameAt'> {
    return { timeToFirstFrame: this.#firstFrameAt === undefined ? undefined : this.#firstFrameAt - this.#loadStartedAt, firstFrameAt: this.#firstFrameAt };
  }
}

/** Bits per second received over a sliding window (2 s): the bitrate figure of every player mode. */
export class ByteRate {
  readonly #windowMs: number;
  #samples: { t: number; bytes: number }[] = [];

  constructor(windowMs = 2000) {
    this.#windowMs = windowMs;
  }

  add(bytes: number): void {
    this.#samples.push({ t: performance.now(), bytes });
  }

  get bitsPerSecond(): number {
    const now = performance.now();
    while (this.#samples.length && now - this.#samples[0]!.t > this.#windowMs) this.#samples.shift();
    let bytes = 0;
    for (const sample of this.#samples) bytes += sample.bytes;
    return (bytes * 8 * 1000) / this.#windowMs;
  }
}
