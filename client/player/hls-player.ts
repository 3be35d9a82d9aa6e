import type Hls from 'hls.js';
import type { ErrorData, HlsConfig, LevelUpdatedData, FragLoadedData } from 'hls.js';
import { startPlayback } from './autoplay.ts';
import { ByteRate, FirstFrameClock, videoFigures } from './media-stats.ts';
import { Emitter } from './emitter.ts';
import { ErrorDetails, ErrorType, PlayerEvent, type ErrorDetailName, type ErrorTypeName, type PlayerEventMap, type PlayerStats } from './events.ts';
import { BEHIND_AFTER_S } from './live-edge.ts';
import { nextDelay, type ReconnectOptions } from './reconnect.ts';

export interface HlsPlayerOptions extends ReconnectOptions {
  /** The media playlist, e.g. `/streams/demo/index.m3u8`. */
  readonly url: string;
  /** The browser's own HLS (Safari) instead of hls.js; the mode choice decides (mode-choice.ts). */
  readonly native: boolean;
  /** Seconds behind the playlist's live edge to hold. Default: the playlist's PART-HOLD-BACK (hls.js in low-latency mode). */
  readonly targetLatency?: number;
  /**
   * When the playlist never loads (nothing played yet), stop with a fatal
   * HLS_UNAVAILABLE instead of asking again: an `auto` player moves on to
   * the next mode. Default false: ask again with backoff.
   */
  readonly giveUpBeforeReady?: boolean;
  /** hls.js settings over fragcast's (low-latency mode on, see HLS_CONFIG). */
  readonly hls?: Partial<HlsConfig>;
}

/**
 * hls.js settings for fragcast's LL-HLS. Each says why it differs from hls.js's default.
 */
export const HLS_CONFIG: Partial<HlsConfig> = Object.freeze({
  // Parts, blocking reloads and PART-HOLD-BACK: sub-second latency.
  lowLatencyMode: true,
  // Near the live edge, play up to 10 % faster to get back to the target after a stall; hls.js leaves DVR playback alone.
  maxLiveSyncPlaybackRate: 1.1,
  // Each stall moves the target latency back by this much: one part (200 ms) rather than hls.js's 1 s, which would
  // more than double a 0.6 s PART-HOLD-BACK after a single stall.
  liveSyncOnStallIncrease: 0.2,
  // fMP4 needs no transmuxing; a worker would need a blob: script, which the page's CSP does not allow.
  enableWorker: false,
  // The DVR window can be hours: keep only half a minute behind the playhead in the SourceBuffer.
  backBufferLength: 30,
});

/** The light build (no subtitles, alternate audio or DRM): what fragcast's playlists use. Loaded only in HLS mode. */
function loadHls(): Promise<typeof Hls> {
  return import('hls.js/light').then((module) => module.default);
}

const MARKER_CLASS = 'com.fragcast.marker';

/** The browser's own HLS tells no target: this far behind the seekable end (Safari holds about 3 parts to 3 s) counts as behind live. */
const NATIVE_BEHIND_S = 6;

/**
 * Plays a fragcast stream over Low-Latency HLS, with the same events and
 * stats as the WebSocket player: hls.js (bundled, fetched on first use)
 * where the browser has MediaSource, the browser's own HLS (Safari on iOS
 * before 17.1) where it does not. Markers come from the playlist's
 * EXT-X-DATERANGE tags; `seekToDate` seeks within the DVR window.
 */
export class HlsPlayer extends Emitter<PlayerEventMap> {
  readonly #video: HTMLVideoElement;
  readonly #options: HlsPlayerOptions;
  #hls: Hls | undefined;
  #native = false;
  #timers: ReturnType<typeof setInterval>[] = [];
  #markers = new Set<string>();
  readonly #firstFrame = new FirstFrameClock();
  readonly #received = new ByteRate();
  #recoveries = 0;
  #failures = 0;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #ready = false;
  #destroyed = false;

  constructor(video: HTMLVideoElement, options: HlsPlayerOptions) {
    super();
    this.#video = video;
    this.#options = options;
  }

  /** Starts playing. Fatal errors (no way to play HLS) are emitted, not thrown. */
  load(): void {
    this.#firstFrame.loadStarted(this.#video);
    this.#video.addEventListener('playing', this.#onPlaying);
    this.#video.addEventListener('waiting', this.#onWaiting);
    this.#timers.push(setInterval(() => this.emit(PlayerEvent.LATENCY, this.stats), 500));
    if (this.#options.native) {
      this.#video.addEventListener('error', this.#onNativeError);
      this.#loadNative();
      return;
    }
    loadHls().then(
      (HlsClass) => this.#loadHlsJs(HlsClass),
      (error: unknown) => this.#error(ErrorType.OTHER, ErrorDetails.HLS_UNSUPPORTED, true, `hls.js did not load: ${String(error)}`),
    );
  }

  /** Seeks to the media produced at `dateMs` (Unix ms), if it is in the DVR window. */
  seekToDate(dateMs: number): boolean {
    const time = this.timeForDate(dateMs);
    if (time === undefined) return false;
    this.#video.currentTime = time;
    void this.#video.play().catch(() => {});
    return true;
  }

  /** The element time showing the media produced at `dateMs`, when the window holds it. */
  timeForDate(dateMs: number): number | undefined {
    if (this.#native) {
      const start = (this.#video as HTMLVideoElement & { getStartDate?: () => Date }).getStartDate?.().getTime();
      const time = start === undefined || Number.isNaN(start) ? undefined : (dateMs - start) / 1000;
      return time !== undefined && this.#inSeekable(time) ? time : undefined;
    }
    // The last segment dated at or before dateMs; a date between two segments' dates (clock jitter) goes to the earlier one.
    const fragments = this.#hls?.latestLevelDetails?.fragments ?? [];
    let found: number | undefined;
    for (const fragment of fragments) {
      const date = fragment.programDateTime;
      if (date === null || date > dateMs) continue;
      found = fragment.start + Math.min(fragment.duration, (dateMs - date) / 1000);
    }
    const last = fragments.at(-1);
    const end = last && last.programDateTime !== null ? last.programDateTime + last.duration * 1000 : -Infinity;
    return dateMs <= end ? found : undefined;
  }

  /** Back to the live edge after seeking into the window. */
  goLive(): void {
    const live = this.#hls?.liveSyncPosition ?? (this.#video.seekable.length ? this.#video.seekable.end(this.#video.seekable.length - 1) : undefined);
    if (live !== undefined && live !== null) this.#video.currentTime = live;
    startPlayback(this.#video, (error) => this.emit(PlayerEvent.ERROR, error));
  }

  get stats(): PlayerStats {
    const video = this.#video;
    const playingDate = this.#playingDate();
    const buffered = video.buffered;
    let buffer = 0;
    for (let i = 0; i < buffered.length; i++) {
      if (video.currentTime >= buffered.start(i) && video.currentTime <= buffered.end(i)) buffer = buffered.end(i) - video.currentTime;
    }
    const hls = this.#hls;
    const target = hls?.targetLatency ?? this.#options.targetLatency;
    const seekableEnd = video.seekable.length ? video.seekable.end(video.seekable.length - 1) : undefined;
    const behind = hls ? (hls.latency || 0) > (hls.targetLatency ?? 0) + BEHIND_AFTER_S : seekableEnd !== undefined && seekableEnd - video.currentTime > NATIVE_BEHIND_S;
    return {
      mode: 'hls',
      latency: playingDate === undefined ? undefined : (Date.now() - playingDate) / 1000,
      playingDate,
      buffer,
      targetLatency: target ?? undefined,
      live: this.#ready && !video.paused && !behind,
      bitrate: this.#received.bitsPerSecond,
      ...videoFigures(video),
      reconnects: this.#recoveries,
      skips: 0,
      generation: (this.#hls?.latestLevelDetails?.fragments.at(-1)?.cc ?? 0) + 1,
      ...this.#firstFrame.figures,
    };
  }

  destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    for (const timer of this.#timers) clearInterval(timer);
    clearTimeout(this.#retryTimer);
    this.#video.removeEventListener('playing', this.#onPlaying);
    this.#video.removeEventListener('waiting', this.#onWaiting);
    this.#video.removeEventListener('error', this.#onNativeError);
    this.#hls?.destroy();
    this.#hls = undefined;
    this.#video.removeAttribute('src');
    this.#video.load();
    this.removeAllListeners();
  }

  #loadNative(): void {
    if (this.#destroyed) return;
    this.#native = true;
    this.#video.src = this.#options.url;
    this.#video.addEventListener('loadedmetadata', () => this.#start(), { once: true });
  }

  #loadHlsJs(HlsClass: typeof Hls): void {
    if (this.#destroyed) return;
    if (!HlsClass.isSupported()) {
      this.#error(ErrorType.MEDIA, ErrorDetails.HLS_UNSUPPORTED, true, 'This browser has neither MediaSource nor native HLS');
      return;
    }
    const target = this.#options.targetLatency;
    const hls = new HlsClass({ ...HLS_CONFIG, ...(target !== undefined ? { liveSyncDuration: target } : {}), ...this.#options.hls });
    this.#hls = hls;
    const { Events } = HlsClass;
    hls.on(Events.MANIFEST_PARSED, () => this.#start());
    hls.on(Events.LEVEL_UPDATED, (_event, data: LevelUpdatedData) => this.#onLevel(data));
    hls.on(Events.FRAG_LOADED, (_event, data: FragLoadedData) => {
      this.#received.add((data.part ?? data.frag).stats.loaded);
    });
    hls.on(Events.ERROR, (_event, data: ErrorData) => this.#onHlsError(HlsClass, data));
    hls.loadSource(this.#options.url);
    hls.attachMedia(this.#video);
  }

  #start(): void {
    if (this.#destroyed) return;
    if (!this.#ready) {
      this.#ready = true;
      this.emit(PlayerEvent.READY, { mime: 'application/vnd.apple.mpegurl', generation: this.stats.generation });
    }
    startPlayback(this.#video, (error) => this.emit(PlayerEvent.ERROR, error));
  }

  #onLevel(data: LevelUpdatedData): void {
    for (const range of Object.values(data.details.dateRanges)) {
      if (!range || range.class !== MARKER_CLASS || this.#markers.has(range.id)) continue;
      this.#markers.add(range.id);
      this.emit(PlayerEvent.MARKER, { id: range.id, label: range.attr['X-LABEL'] ?? '', time: range.startDate.toISOString() });
    }
  }

  #onHlsError(HlsClass: typeof Hls, data: ErrorData): void {
    const network = data.type === HlsClass.ErrorTypes.NETWORK_ERROR;
    const media = data.type === HlsClass.ErrorTypes.MEDIA_ERROR;
    const stalled = data.details === HlsClass.ErrorDetails.BUFFER_STALLED_ERROR;
    const details = stalled ? ErrorDetails.BUFFER_STALLED : network ? ErrorDetails.HLS_NETWORK : ErrorDetails.HLS_MEDIA;
    const type = network ? ErrorType.NETWORK : media ? ErrorType.MEDIA : ErrorType.OTHER;
    if (!data.fatal) {
      this.#error(type, details, false, `${data.details}${data.response ? ` (HTTP ${data.response.code})` : ''}`);
      return;
    }
    if (!this.#ready) {
      // Nothing loaded yet: hls.js cannot startLoad() without a playlist; start over, or let an `auto` player move on.
      this.#notReady(`${data.details}${data.response ? ` (HTTP ${data.response.code})` : ''}`, () => {
        this.#hls?.destroy();
        this.#hls = undefined;
        this.#loadHlsJs(HlsClass);
      });
      return;
    }
    // hls.js's own advice for fatal errors: reload on network errors, recover on media errors, else give up.
    if ((network || media) && this.#recoveries < 20) {
      this.#recoveries++;
      this.#error(type, details, false, `${data.details}: recovering`);
      if (network) setTimeout(() => this.#hls?.startLoad(), 1000);
      else this.#hls?.recoverMediaError();
      return;
    }
    this.#error(type, details, true, `${data.details}: ${data.error?.message ?? 'fatal'}`);
  }

  /** The playlist could not be loaded before anything played: fatal when asked to give up, else try again with backoff. */
  #notReady(why: string, again: () => void): void {
    if (this.#options.giveUpBeforeReady) {
      this.#error(ErrorType.NETWORK, ErrorDetails.HLS_UNAVAILABLE, true, `The HLS playlist did not load: ${why}`);
      this.destroy();
      return;
    }
    const delay = nextDelay(this.#options, this.#failures++);
    this.#error(ErrorType.NETWORK, ErrorDetails.HLS_NETWORK, false, `The HLS playlist did not load (${why}); trying again in ${delay} ms`);
    clearTimeout(this.#retryTimer);
    this.#retryTimer = setTimeout(again, delay);
  }

  /** The browser's own HLS failed: before the first frame as a load failure, after it by loading the playlist again. */
  readonly #onNativeError = (): void => {
    const error = this.#video.error;
    const why = `media error ${error?.code ?? '?'}${error?.message ? ` (${error.message})` : ''}`;
    if (!this.#ready) {
      this.#notReady(why, () => this.#loadNative());
      return;
    }
    this.#recoveries++;
    const delay = nextDelay(this.#options, 0);
    this.#error(ErrorType.NETWORK, ErrorDetails.HLS_NETWORK, false, `${why}: loading the playlist again in ${delay} ms`);
    clearTimeout(this.#retryTimer);
    this.#retryTimer = setTimeout(() => this.#loadNative(), delay);
  };

  #playingDate(): number | undefined {
    if (this.#native) {
      const start = (this.#video as HTMLVideoElement & { getStartDate?: () => Date }).getStartDate?.().getTime();
      return start === undefined || Number.isNaN(start) ? undefined : start + this.#video.currentTime * 1000;
    }
    return this.#hls?.playingDate?.getTime() ?? undefined;
  }

  #inSeekable(time: number): boolean {
    const seekable = this.#video.seekable;
    for (let i = 0; i < seekable.length; i++) if (time >= seekable.start(i) && time <= seekable.end(i)) return true;
    return false;
  }

  readonly #onPlaying = (): void => {
    this.#firstFrame.playing();
    this.#failures = 0;
    this.emit(PlayerEvent.PLAYING, {});
  };

  readonly #onWaiting = (): void => {
    this.emit(PlayerEvent.STALLED, { buffer: this.stats.buffer });
  };

  #error(type: ErrorTypeName, details: ErrorDetailName, fatal: boolean, message: string): void {
    this.emit(PlayerEvent.ERROR, { type, details, fatal, message });
  }
}
