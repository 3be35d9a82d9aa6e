import { ByteRate, FirstFrameClock, videoFigures } from './media-stats.ts';
import { Emitter } from './emitter.ts';
import { ErrorDetails, ErrorType, PlayerEvent, type ErrorDetailName, type PlayerEventMap, type PlayerStats } from './events.ts';
import { LatencyController } from './latency-controller.ts';
import { LiveEdge } from './live-edge.ts';
import { nextDelay, type ReconnectOptions } from './reconnect.ts';

export interface Mp4PlayerOptions extends ReconnectOptions {
  /** The chunked MP4, e.g. `https://host/streams/demo/live.mp4`. */
  readonly url: string;
  /** Seconds of buffer held ahead of the playhead. Default 0.5 (see MP4_TARGET_LATENCY). */
  readonly targetLatency?: number;
  /** When live.mp4 has never played after this many attempts, stop with a fatal MP4_UNAVAILABLE (an `auto` player moves on). Default: never. */
  readonly giveUpAfterFailures?: number;
}

/**
 * Chromium's progressive demuxer reads ahead in its own steps, not fragment
 * by fragment as an append does: below half a second of buffer it stalls
 * now and then on loopback, where the WebSocket's 0.3 s holds.
 */
export const MP4_TARGET_LATENCY = 0.5;

/** Waiting this long for data means a dead connection (no error comes when a network path silently drops): ask again. */
const STALL_RELOAD_MS = 5000;

/** Chromium's decoded byte counters (non-standard, absent elsewhere): the only bitrate a progressive download shows. */
interface DecodedByteCounts {
  readonly webkitVideoDecodedByteCount?: number;
  readonly webkitAudioDecodedByteCount?: number;
}

/**
 * Plays the chunked `live.mp4` in the video element itself: the last resort
 * of `auto`, for browsers with neither a MediaSource nor native HLS. The
 * element cannot seek in a live download, so the latency controller holds
 * the edge with the playback rate alone, and a jump is a new request. The
 * server ends the response when the source restarts (a new init cannot go
 * into one MP4 file): the player asks again at once. It reports no latency
 * figure: a progressive download hides the producer's clock (`prft`).
 */
export class Mp4Player extends Emitter<PlayerEventMap> {
  readonly #video: HTMLVideoElement;
  readonly #options: Mp4PlayerOptions;
  readonly #edge: LiveEdge;
  readonly #decoded = new ByteRate();
  #lastDecodedBytes = 0;
  #timers: ReturnType<typeof setInterval>[] = [];
  #reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  #failures = 0;
  #reconnects = 0;
  #responses = 0;
  #playedThisResponse = false;
  #everPlayed = false;
  #waitingSince: number | undefined;
  readonly #firstFrame = new FirstFrameClock();
  #destroyed = false;

  constructor(video: HTMLVideoElement, options: Mp4PlayerOptions) {
    super();
    this.#video = video;
    this.#options = options;
    const controller = new LatencyController({ targetBuffer: options.targetLatency ?? MP4_TARGET_LATENCY });
    this.#edge = new LiveEdge(video, controller, { seekable: false, reload: () => this.#request(), report: (error) => this.emit(PlayerEvent.ERROR, error) });
  }

  load(): void {
    this.#firstFrame.loadStarted(this.#video);
    for (const [event, listener] of this.#mediaListeners) this.#video.addEventListener(event, listener);
    this.#timers.push(
      setInterval(() => this.#tick(), 250),
      setInterval(() => this.emit(PlayerEvent.LATENCY, this.stats), 500),
    );
    this.#request();
  }

  get stats(): PlayerStats {
    return {
      mode: 'mp4',
      latency: undefined,
      playingDate: undefined,
      ...this.#edge.figures,
      bitrate: this.#decoded.bitsPerSecond,
      ...videoFigures(this.#video),
      reconnects: this.#reconnects,
      skips: 0,
      generation: this.#responses,
      ...this.#firstFrame.figures,
    };
  }

  goLive(): void {
    this.#edge.goLive();
  }

  destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    for (const timer of this.#timers) clearInterval(timer);
    clearTimeout(this.#reconnectTimer);
    for (const [event, listener] of this.#mediaListeners) this.#video.removeEventListener(event, listener);
    this.#video.removeAttribute('src');
    this.#video.load();
    this.removeAllListeners();
  }

  /** A new request for live.mp4: it starts at the newest keyframe, which is the live edge. */
  #request(): void {
    if (this.#destroyed) return;
    clearTimeout(this.#reconnectTimer);
    this.#reconnectTimer = undefined;
    this.#playedThisResponse = false;
    this.#waitingSince = undefined;
    this.#edge.restart();
    this.#video.src = this.#options.url;
  }

  #tick(): void {
    const counts = this.#video as HTMLVideoElement & DecodedByteCounts;
    const decoded = (counts.webkitVideoDecodedByteCount ?? 0) + (counts.webkitAudioDecodedByteCount ?? 0);
    if (decoded > this.#lastDecodedBytes) this.#decoded.add(decoded - this.#lastDecodedBytes);
    this.#lastDecodedBytes = decoded;
    if (this.#waitingSince !== undefined && performance.now() - this.#waitingSince > STALL_RELOAD_MS) {
      this.#retry(ErrorDetails.MP4_ERROR, `no data for ${STALL_RELOAD_MS / 1000} s`);
      return;
    }
    this.#edge.steer(this.#waitingSince !== undefined);
  }

  /** The response ended or failed: ask again, at once after a response that played, else with backoff. */
  #retry(details: ErrorDetailName, why: string): void {
    if (this.#destroyed || this.#reconnectTimer !== undefined) return;
    const giveUp = this.#options.giveUpAfterFailures;
    if (!this.#playedThisResponse) this.#failures++;
    if (!this.#everPlayed && giveUp !== undefined && this.#failures >= giveUp) {
      this.emit(PlayerEvent.ERROR, { type: ErrorType.NETWORK, details: ErrorDetails.MP4_UNAVAILABLE, fatal: true, message: `live.mp4 did not play in ${giveUp} attempts (${why})` });
      this.destroy();
      return;
    }
    const delay = this.#playedThisResponse ? 0 : nextDelay(this.#options, this.#failures - 1);
    this.emit(PlayerEvent.ERROR, { type: ErrorType.NETWORK, details, fatal: false, message: `live.mp4: ${why}; requesting it again in ${delay} ms` });
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = undefined;
      this.#reconnects++;
      this.#request();
    }, delay);
  }

  readonly #onMetadata = (): void => {
    this.#responses++;
    if (this.#responses === 1) this.emit(PlayerEvent.READY, { mime: 'video/mp4', generation: this.#responses });
    else this.emit(PlayerEvent.GENERATION, { generation: this.#responses, mime: 'video/mp4' });
  };

  readonly #onPlaying = (): void => {
    this.#waitingSince = undefined;
    this.#failures = 0;
    this.#playedThisResponse = true;
    this.#everPlayed = true;
    this.#firstFrame.playing();
    this.emit(PlayerEvent.PLAYING, {});
  };

  readonly #onWaiting = (): void => {
    this.#edge.stalled();
    this.#waitingSince ??= performance.now();
    const buffer = this.#edge.ahead;
    this.emit(PlayerEvent.STALLED, { buffer });
    if (this.#everPlayed) this.emit(PlayerEvent.ERROR, { type: ErrorType.MEDIA, details: ErrorDetails.BUFFER_STALLED, fatal: false, message: `Playback stalled with ${Math.round(buffer * 1000)} ms buffered; waiting for data` });
  };

  readonly #onError = (): void => {
    const error = this.#video.error;
    this.#retry(ErrorDetails.MP4_ERROR, `media error ${error?.code ?? '?'}${error?.message ? ` (${error.message})` : ''}`);
  };

  readonly #onEnded = (): void => {
    this.#retry(ErrorDetails.MP4_ERROR, 'the response ended (the source restarted, or the stream went away)');
  };

  /** The video element's events this player listens to, from load() to destroy(). */
  readonly #mediaListeners: readonly (readonly [string, () => void])[] = [
    ['loadedmetadata', this.#onMetadata],
    ['playing', this.#onPlaying],
    ['waiting', this.#onWaiting],
    ['error', this.#onError],
    ['ended', this.#onEnded],
  ];
}
