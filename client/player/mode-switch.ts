import { Emitter } from './emitter.ts';
import { ErrorDetails, PlayerEvent, type PlayerEventMap, type PlayerMode, type PlayerStats } from './events.ts';
import { HlsPlayer } from './hls-player.ts';
import { FragcastPlayer } from './player.ts';

export interface ModeSwitchOptions {
  /** WebSocket URL, e.g. `ws://host/streams/demo/ws`. */
  readonly wsUrl: string;
  /** Playlist URL, e.g. `/streams/demo/index.m3u8`. */
  readonly hlsUrl: string;
  /** The mode to start in. Default 'ws'. */
  readonly mode?: PlayerMode;
  /** Connection attempts the WebSocket gets before the switch falls back to HLS. Default 2. */
  readonly wsAttempts?: number;
}

export interface ModeSwitchEventMap extends PlayerEventMap {
  /** The mode changed: asked for by the page, or a fallback (`fallback: true`) because the WebSocket or MSE is unavailable. */
  mode: { readonly mode: PlayerMode; readonly fallback: boolean; readonly reason: string };
}

const FORWARDED = Object.values(PlayerEvent);

/**
 * One player whose mode can change: WebSocket + MSE (the default, lowest
 * latency) or LL-HLS. Both modes share the events and stats of the player
 * core, which this forwards, so a page deals with one object. When the
 * WebSocket cannot connect at all, or the browser has no MediaSource, it
 * falls back to HLS by itself (hls.js, or the browser's own HLS on Safari
 * without MSE).
 */
export class ModeSwitch extends Emitter<ModeSwitchEventMap> {
  readonly #video: HTMLVideoElement;
  readonly #options: ModeSwitchOptions;
  #mode: PlayerMode;
  #player: FragcastPlayer | HlsPlayer | undefined;
  #detach: (() => void)[] = [];

  constructor(video: HTMLVideoElement, options: ModeSwitchOptions) {
    super();
    this.#video = video;
    this.#options = options;
    this.#mode = options.mode ?? 'ws';
  }

  get mode(): PlayerMode {
    return this.#mode;
  }

  get stats(): PlayerStats | undefined {
    return this.#player?.stats;
  }

  /** The HLS player while in HLS mode: seeking in the DVR window. */
  get hls(): HlsPlayer | undefined {
    return this.#player instanceof HlsPlayer ? this.#player : undefined;
  }

  load(): void {
    this.#start(false, 'requested');
  }

  /** Switches to `mode` (a no-op when already in it). */
  setMode(mode: PlayerMode, fallback = false, reason = 'requested'): void {
    if (mode === this.#mode && this.#player) return;
    this.#mode = mode;
    this.#start(fallback, reason);
  }

  destroy(): void {
    this.#stop();
    this.removeAllListeners();
  }

  #start(fallback: boolean, reason: string): void {
    this.#stop();
    const player =
      this.#mode === 'hls'
        ? new HlsPlayer(this.#video, { url: this.#options.hlsUrl })
        : new FragcastPlayer(this.#video, { url: this.#options.wsUrl, giveUpAfterFailures: this.#options.wsAttempts ?? 2 });
    this.#player = player;
    const source: Emitter<PlayerEventMap> = player;
    const forward = <K extends keyof PlayerEventMap>(event: K): (() => void) => source.on(event, (payload) => this.emit(event, payload as ModeSwitchEventMap[K]));
    for (const event of FORWARDED) this.#detach.push(forward(event));
    this.#detach.push(
      player.on(PlayerEvent.ERROR, (error) => {
        const unavailable = error.details === ErrorDetails.WS_UNAVAILABLE || error.details === ErrorDetails.MSE_UNSUPPORTED;
        // After the player's own handling of the error (it destroys itself first), not inside it.
        if (this.#mode === 'ws' && error.fatal && unavailable) setTimeout(() => this.setMode('hls', true, error.message), 0);
      }),
    );
    this.emit('mode', { mode: this.#mode, fallback, reason });
    player.load();
  }

  #stop(): void {
    for (const detach of this.#detach) detach();
    this.#detach = [];
    this.#player?.destroy();
    this.#player = undefined;
  }
}
