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

/** Time to first frame, as every player mode reports it: from load() to the first frame shown. */
export class FirstFrameClock {
  #loadStartedAt = 0;
  #firstFrameAt: number | undefined;

  loadStarted(): void {
    this.#loadStartedAt = performance.now();
  }

  /** A frame was shown (only the first counts). */
  frameShown(): void {
    this.#firstFrameAt ??= performance.now();
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
