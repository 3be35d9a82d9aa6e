import { Emitter } from './emitter.ts';
import { ErrorDetails, ErrorType, PlayerEvent, type PlayerError, type PlayerEventMap, type PlayerMode, type PlayerStats } from './events.ts';
import { HlsPlayer } from './hls-player.ts';
import { chooseEngines, detectCapabilities, ENGINE_MODE, ENGINE_NAMES, type Engine, type PlaybackCapabilities, type RequestedMode } from './mode-choice.ts';
import { Mp4Player } from './mp4-player.ts';
import { FragcastPlayer } from './player.ts';
import { nextDelay } from './reconnect.ts';

export interface StreamUrls {
  /** `ws://host/streams/NAME/ws` */
  readonly ws: string;
  /** `http://host/streams/NAME/index.m3u8` */
  readonly hls: string;
  /** `http://host/streams/NAME/live.mp4` */
  readonly mp4: string;
}

export interface ModeSwitchOptions {
  readonly urls: StreamUrls;
  /** The mode to play in, or `auto` (default): the best this browser can, falling through on failure. */
  readonly mode?: RequestedMode;
  /** Seconds of latency to hold. Default per mode: 0.3 s of buffer (WebSocket), PART-HOLD-BACK (HLS), 0.5 s (MP4). */
  readonly targetLatency?: number;
  /** Connection attempts each mode gets in `auto` before the switch moves to the next. Default 2. */
  readonly attempts?: number;
  /** What the browser can play; detected from the video element by default (tests give it). */
  readonly capabilities?: PlaybackCapabilities;
}

export interface ModeSwitchEventMap extends PlayerEventMap {
  /**
   * The mode changed: asked for by the page, or a fallback (`fallback: true`)
   * because the mode before could not play. `engine` tells hls.js from the
   * browser's own HLS.
   */
  mode: { readonly mode: PlayerMode; readonly engine: Engine; readonly fallback: boolean; readonly reason: string };
}

type ModePlayer = FragcastPlayer | HlsPlayer | Mp4Player;

/** Fatal errors that say the browser cannot run an engine (as opposed to the network failing it): that engine is dropped. */
const UNSUPPORTED = new Set<string>([ErrorDetails.MSE_UNSUPPORTED, ErrorDetails.CODEC_UNSUPPORTED, ErrorDetails.HLS_UNSUPPORTED]);

const FORWARDED = Object.values(PlayerEvent).filter((event) => event !== PlayerEvent.ERROR);

/**
 * One player whose mode can change, with the events and stats of the player
 * core, which it forwards, so a page deals with one object.
 *
 * In `auto` it walks the chain of mode-choice.ts (WebSocket + MSE, hls.js,
 * native HLS, chunked MP4): an engine that fails for good hands over to the
 * next, and its fatal error is forwarded as non-fatal, since the switch
 * recovers. An engine the browser cannot run (no MediaSource, codecs it
 * cannot decode) leaves the chain; one that the network failed stays, and
 * when all have failed the chain starts again from the best after a backoff
 * (a server restart, a stream that is not on air yet). Only a kick by an
 * operator, or a chain left empty, is fatal.
 */
export class ModeSwitch extends Emitter<ModeSwitchEventMap> {
  readonly #video: HTMLVideoElement;
  readonly #options: ModeSwitchOptions;
  readonly #capabilities: PlaybackCapabilities;
  #requested: RequestedMode;
  #chain: Engine[] = [];
  #index = 0;
  /** The stream's MediaSource type, once an init message told it: engines that cannot decode it drop out. */
  #mime: string | undefined;
  #rounds = 0;
  #player: ModePlayer | undefined;
  #detach: (() => void)[] = [];
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #destroyed = false;

  constructor(video: HTMLVideoElement, options: ModeSwitchOptions) {
    super();
    this.#video = video;
    this.#options = options;
    this.#requested = options.mode ?? 'auto';
    this.#capabilities = options.capabilities ?? detectCapabilities(video);
  }

  /** The mode playing now (undefined before load() and after a fatal error). */
  get mode(): PlayerMode | undefined {
    return this.#player ? ENGINE_MODE[this.#chain[this.#index]!] : undefined;
  }

  get engine(): Engine | undefined {
    return this.#player ? this.#chain[this.#index] : undefined;
  }

  get requested(): RequestedMode {
    return this.#requested;
  }

  get stats(): PlayerStats | undefined {
    return this.#player?.stats;
  }

  /** The HLS player while in HLS mode: seeking in the DVR window. */
  get hls(): HlsPlayer | undefined {
    return this.#player instanceof HlsPlayer ? this.#player : undefined;
  }

  load(): void {
    this.#begin(false, 'requested');
  }

  /** Plays in `mode` from now on (a no-op when it is already the one asked for). */
  setMode(mode: RequestedMode): void {
    if (mode === this.#requested && this.#player) return;
    this.#requested = mode;
    this.#begin(false, 'requested');
  }

  /** Back to the live edge: after a pause, a seek into the DVR window, or falling far behind. */
  goLive(): void {
    this.#player?.goLive();
  }

  destroy(): void {
    this.#destroyed = true;
    clearTimeout(this.#retryTimer);
    this.#stop();
    this.removeAllListeners();
  }

  /** Computes the chain afresh and starts at its best engine. */
  #begin(fallback: boolean, reason: string): void {
    clearTimeout(this.#retryTimer);
    this.#chain = chooseEngines(this.#requested, this.#capabilities, this.#mime);
    this.#index = 0;
    if (!this.#chain.length) {
      this.#stop();
      const what = this.#requested === 'auto' ? 'No mode' : `Mode "${this.#requested}"`;
      this.#fatal({ type: ErrorType.MEDIA, details: ErrorDetails.NO_PLAYABLE_MODE, fatal: true, message: `${what} can play this stream in this browser${this.#mime ? ` (${this.#mime})` : ''}` });
      return;
    }
    this.#start(fallback, reason);
  }

  #start(fallback: boolean, reason: string): void {
    this.#stop();
    const engine = this.#chain[this.#index]!;
    const { urls, targetLatency } = this.#options;
    // In a chain, every engine gives up on a network that fails it, so that the next one gets its turn.
    const chained = this.#chain.length > 1;
    const attempts = chained ? (this.#options.attempts ?? 2) : undefined;
    const latency = targetLatency !== undefined ? { targetLatency } : {};
    const player: ModePlayer =
      engine === 'ws'
        ? new FragcastPlayer(this.#video, { url: urls.ws, giveUpAfterFailures: attempts, ...latency })
        : engine === 'mp4'
          ? new Mp4Player(this.#video, { url: urls.mp4, giveUpAfterFailures: attempts, ...latency })
          : new HlsPlayer(this.#video, { url: urls.hls, native: engine === 'hls-native', giveUpBeforeReady: chained, ...latency });
    this.#player = player;
    const source: Emitter<PlayerEventMap> = player;
    const forward = <K extends keyof PlayerEventMap>(event: K): (() => void) => source.on(event, (payload) => this.emit(event, payload as ModeSwitchEventMap[K]));
    for (const event of FORWARDED) this.#detach.push(forward(event));
    this.#detach.push(
      player.on(PlayerEvent.GENERATION, ({ mime }) => {
        if (mime.includes('codecs=')) this.#mime = mime;
      }),
      player.on(PlayerEvent.PLAYING, () => {
        this.#rounds = 0;
      }),
      player.on(PlayerEvent.ERROR, (error) => this.#onError(engine, error)),
    );
    this.emit('mode', { mode: ENGINE_MODE[engine], engine, fallback, reason });
    player.load();
  }

  #onError(engine: Engine, error: PlayerError): void {
    if (!error.fatal) {
      this.emit(PlayerEvent.ERROR, error);
      return;
    }
    if (error.details === ErrorDetails.KICKED || this.#chain.length <= 1) {
      this.#stop();
      this.#fatal(error);
      return;
    }
    // After the player's own handling of the error (it destroys itself), not inside it.
    setTimeout(() => this.#fallThrough(engine, error), 0);
  }

  #fallThrough(failed: Engine, error: PlayerError): void {
    if (this.#destroyed) return;
    this.#stop();
    if (UNSUPPORTED.has(error.details)) {
      // The chain again, without the failed engine (and, once the codecs are known, without those that cannot decode them).
      this.#chain = chooseEngines(this.#requested, this.#capabilities, this.#mime).filter((engine) => engine !== failed);
      const after = this.#chain.findIndex((engine) => rank(engine) > rank(failed));
      this.#index = after < 0 ? this.#chain.length : after;
    } else {
      this.#index++;
    }
    if (this.#index < this.#chain.length) {
      const next = this.#chain[this.#index]!;
      this.emit(PlayerEvent.ERROR, { ...error, fatal: false, message: `${error.message}; trying ${ENGINE_NAMES[next]}` });
      this.#start(true, error.message);
      return;
    }
    if (!this.#chain.length) {
      this.#fatal({ ...error, details: ErrorDetails.NO_PLAYABLE_MODE, message: `${error.message}; no other mode can play this stream in this browser` });
      return;
    }
    // Every engine left failed on the network: start again from the best, after a pause that grows per round.
    const delay = nextDelay({ reconnectMs: 1000, maxReconnectMs: 30_000 }, this.#rounds++);
    this.emit(PlayerEvent.ERROR, { ...error, fatal: false, message: `${error.message}; every mode failed, trying again in ${delay} ms` });
    this.#retryTimer = setTimeout(() => {
      if (!this.#destroyed) this.#begin(true, error.message);
    }, delay);
  }

  #fatal(error: PlayerError): void {
    this.emit(PlayerEvent.ERROR, { ...error, fatal: true });
  }

  #stop(): void {
    for (const detach of this.#detach) detach();
    this.#detach = [];
    this.#player?.destroy();
    this.#player = undefined;
  }
}

/** An engine's place in the full chain: what comes after a failed one. */
function rank(engine: Engine): number {
  return (['ws', 'hls.js', 'hls-native', 'mp4'] as const).indexOf(engine);
}
