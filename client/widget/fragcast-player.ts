import { ErrorDetails, ErrorType, PlayerEvent, type PlayerError, type PlayerMode, type PlayerStats } from '../player/events.ts';
import { ModeSwitch, type ModeSwitchEventMap } from '../player/mode-switch.ts';
import { attributeFor, CONFIG_NAMES, parseConfig, streamLocation, type ConfigName, type PlayerConfig } from './settings.ts';
import { statsText } from './stats-text.ts';
import { PLAYER_CSS } from './styles.ts';

/** What the element dispatches: every player event (CustomEvent `detail`), and `live` when the LIVE badge changes. */
export interface FragcastPlayerEventMap extends ModeSwitchEventMap {
  live: { readonly live: boolean };
}

const FORWARDED: readonly (keyof ModeSwitchEventMap)[] = Object.freeze([...Object.values(PlayerEvent), 'mode' as const]);

type Writable<T> = { -readonly [K in keyof T]: T[K] };

let sheet: CSSStyleSheet | undefined;

/** The longest an autoplaying element's quiet start lasts (see #beginQuietStart). */
const QUIET_START_MS = 1000;

/**
 * Laid out and inside the viewport now. A first guess only: it knows nothing of clipping containers or
 * an iframe's own visibility, so the IntersectionObserver's first report still decides (and suspends a
 * player that is not seen after all). A zero-size element is not known to be seen: the observer decides.
 */
function inViewport(element: Element): boolean {
  const box = element.getBoundingClientRect();
  return box.width > 0 && box.height > 0 && box.bottom > 0 && box.right > 0 && box.top < window.innerHeight && box.left < window.innerWidth;
}

/** Styles as one constructed sheet shared by every player on the page (no inline <style>: see styles.ts), else a <style>. */
function adoptStyles(root: ShadowRoot): void {
  if ('adoptedStyleSheets' in root && typeof CSSStyleSheet === 'function' && 'replaceSync' in CSSStyleSheet.prototype) {
    if (!sheet) {
      sheet = new CSSStyleSheet();
      sheet.replaceSync(PLAYER_CSS);
    }
    root.adoptedStyleSheets = [sheet];
    return;
  }
  const style = document.createElement('style');
  style.textContent = PLAYER_CSS;
  root.append(style);
}

function button(className: string, label: string, text = ''): HTMLButtonElement {
  const element = document.createElement('button');
  element.type = 'button';
  element.className = className;
  element.hidden = true;
  element.setAttribute('aria-label', label);
  element.textContent = text;
  return element;
}

/**
 * `<fragcast-player src="https://HOST/streams/NAME" autoplay muted controls>`:
 * a live stream in a shadow root. It picks the best mode the browser can
 * play (mode-switch.ts), stays at the live edge, recovers by itself, and
 * pauses its connection while hidden or off screen. It shows nothing but
 * the video, a LIVE badge (grey when behind; a click returns to live), an
 * unmute or play button when the autoplay policy calls for one, a spinner
 * while stalled, and, on demand, a stats overlay. Everything that happens
 * is a CustomEvent on the element; nothing is ever thrown into the page.
 * The settings are described in settings.ts (config, info, internal).
 */
export class FragcastPlayerElement extends HTMLElement {
  static readonly observedAttributes = CONFIG_NAMES;

  /** internal: how long a player that has played stays connected while hidden or off screen (tests shorten it). */
  static suspendDelayMs = 3000;

  // ── internal ──────────────────────────────────────────────────────
  readonly #root: ShadowRoot;
  readonly #video: HTMLVideoElement;
  readonly #badge = button('live', 'Live: click to return to the live edge', 'LIVE');
  readonly #unmute = button('unmute', 'Unmute', 'Unmute');
  readonly #play = button('play', 'Play');
  readonly #overlay = document.createElement('pre');
  readonly #spinner = document.createElement('div');
  readonly #message = document.createElement('div');
  #config: PlayerConfig = parseConfig(() => null).config;
  #player: ModeSwitch | undefined;
  #connected = false;
  /** Playback was asked for: by `autoplay`, or by a click on the play button. */
  #wanted = false;
  /** Intersecting the viewport, as the IntersectionObserver last said (unknown until its first report: not yet). */
  #onScreen = false;
  /** Held back by visibility: hidden, off screen, or not yet known to be seen. */
  #suspended = false;
  #suspendTimer: ReturnType<typeof setTimeout> | undefined;
  /** Autoplaying, and no frame yet: no snapshot poster, no native controls (see #beginQuietStart). */
  #quietStart = false;
  #quietTimer: ReturnType<typeof setTimeout> | undefined;
  #observer: IntersectionObserver | undefined;
  #stats: PlayerStats | undefined;
  #live = false;
  #everPlayed = false;
  /** The S key's choice, which wins over the `stats` attribute until that changes. */
  #statsToggled: boolean | undefined;
  /** Muted by the autoplay policy although the page asked for sound: offer to unmute. */
  #mutedByPolicy = false;
  /** Even muted playback was refused: wait for a click. */
  #needsClick = false;

  constructor() {
    super();
    this.#root = this.attachShadow({ mode: 'open' });
    adoptStyles(this.#root);
    const video = document.createElement('video');
    video.playsInline = true;
    // Cross-origin requests of the element itself (live.mp4, the browser's own HLS) go in CORS mode, so the server's allow-list applies.
    video.crossOrigin = 'anonymous';
    video.setAttribute('part', 'video');
    this.#video = video;
    this.#overlay.className = 'stats';
    this.#overlay.hidden = true;
    this.#spinner.className = 'spinner';
    this.#spinner.hidden = true;
    this.#message.className = 'message';
    this.#message.hidden = true;
    this.#message.setAttribute('role', 'status');
    this.#root.append(video, this.#badge, this.#overlay, this.#unmute, this.#play, this.#spinner, this.#message);
    this.#badge.addEventListener('click', () => this.#safely(() => this.goLive()));
    this.#unmute.addEventListener('click', () => this.#safely(() => this.#unmuteNow()));
    this.#play.addEventListener('click', () => this.#safely(() => this.#userPlay()));
    this.#message.addEventListener('click', () => this.#safely(() => this.#restart()));
    video.addEventListener('volumechange', () => this.#safely(() => this.#render()));
    video.addEventListener('pause', this.#onVisibility);
    video.addEventListener('leavepictureinpicture', this.#onVisibility);
    this.addEventListener('keydown', (event) => this.#safely(() => this.#onKey(event)));
    // Properties set before the element was defined sit on the instance and hide the accessors: move them to the attributes.
    for (const name of CONFIG_NAMES) {
      if (!Object.hasOwn(this, name)) continue;
      const value = (this as Record<string, unknown>)[name];
      delete (this as Record<string, unknown>)[name];
      (this as Record<string, unknown>)[name] = value;
    }
  }

  // ── info ──────────────────────────────────────────────────────────

  /** The mode playing now: `ws`, `hls` or `mp4` (undefined while stopped or suspended). */
  get activeMode(): PlayerMode | undefined {
    return this.#player?.mode;
  }

  /** The latest figures (the detail of the last `latency` event). */
  get playbackStats(): PlayerStats | undefined {
    return this.#stats;
  }

  /** Playing at the live edge (the LIVE badge is red). */
  get live(): boolean {
    return this.#live;
  }

  /** The video element in the shadow root, for what the element does not wrap (volume, fullscreen, picture-in-picture). */
  get video(): HTMLVideoElement {
    return this.#video;
  }

  // ── methods ───────────────────────────────────────────────────────

  /** Back to the live edge: after a pause, a seek into the DVR window (HLS), or falling behind. */
  goLive(): void {
    this.#safely(() => {
      if (!this.#player) {
        this.#userPlay();
        return;
      }
      this.#player.goLive();
    });
  }

  /** HLS mode: seeks to the media produced at `dateMs` (Unix ms) when the DVR window holds it. */
  seekToDate(dateMs: number): boolean {
    return this.#safely(() => this.#player?.hls?.seekToDate(dateMs)) ?? false;
  }

  /** HLS mode: the element time of the media produced at `dateMs`, when the DVR window holds it. */
  timeForDate(dateMs: number): number | undefined {
    return this.#safely(() => this.#player?.hls?.timeForDate(dateMs));
  }

  // ── lifecycle ─────────────────────────────────────────────────────

  connectedCallback(): void {
    this.#safely(() => {
      this.#connected = true;
      if (!this.hasAttribute('tabindex')) this.tabIndex = 0;
      this.#readConfig();
      this.#beginQuietStart();
      this.#applyMediaAttributes();
      document.addEventListener('visibilitychange', this.#onVisibility);
      // Known at once when the element is laid out in the viewport: connecting then saves the observer's first
      // report, which comes with the next frame (measured: 20-60 ms in headless Chromium at page load).
      this.#onScreen = inViewport(this);
      if (typeof IntersectionObserver === 'function') {
        this.#observer = new IntersectionObserver((entries) => {
          this.#onScreen = entries.at(-1)?.isIntersecting ?? true;
          this.#onVisibility();
        });
        this.#observer.observe(this);
      } else {
        this.#onScreen = true;
      }
      // Until it is known to be seen, nothing connects: a player below the fold, or in a background tab, waits for its viewer.
      this.#suspended = !this.#onScreen || document.visibilityState === 'hidden';
      if (this.#config.autoplay) this.#wanted = true;
      if (this.#wanted) this.#start();
      this.#render();
    });
  }

  disconnectedCallback(): void {
    this.#safely(() => {
      this.#connected = false;
      document.removeEventListener('visibilitychange', this.#onVisibility);
      this.#observer?.disconnect();
      this.#observer = undefined;
      clearTimeout(this.#suspendTimer);
      this.#suspendTimer = undefined;
      clearTimeout(this.#quietTimer);
      this.#quietStart = false;
      this.#stop();
    });
  }

  attributeChangedCallback(name: string, before: string | null, after: string | null): void {
    if (before === after) return;
    this.#safely(() => {
      const previous = this.#config;
      // Before connectedCallback (the upgrade), connectedCallback reports what it finds: once.
      this.#readConfig(this.#connected ? name : null);
      if (!this.#connected) return;
      const config = this.#config;
      if (name === 'stats') this.#statsToggled = undefined;
      if (name === 'muted' || name === 'controls' || name === 'poster') this.#applyMediaAttributes(name);
      // The default poster is the stream's snapshot.
      if (name === 'src') this.#applyMediaAttributes('poster');
      if (name === 'autoplay' && config.autoplay && !this.#wanted) {
        this.#wanted = true;
        this.#start();
      }
      if (name === 'mode' && config.mode !== previous.mode) this.#player?.setMode(config.mode);
      // A new stream or target: start afresh (also after a fatal error, such as a src that was missing).
      const moved = (name === 'src' && config.src !== previous.src) || (name === 'latency' && config.latency !== previous.latency);
      if (moved && (this.#player || this.#wanted || config.autoplay)) this.#restart();
      this.#render();
    });
  }

  // ── internal ──────────────────────────────────────────────────────

  /** Reads every attribute; reports the unusable values: all, those of `only` (one attribute changed), or none (null). */
  #readConfig(only?: string | null): void {
    const { config, invalid } = parseConfig((name) => this.getAttribute(name));
    this.#config = config;
    for (const problem of invalid) {
      if (only === null || (only !== undefined && problem.name !== only)) continue;
      this.#emitError({ type: ErrorType.OTHER, details: ErrorDetails.INVALID_OPTION, fatal: false, message: `${problem.name}="${problem.value.slice(0, 80)}" ${problem.why}; using the default` });
    }
  }

  #applyMediaAttributes(only?: ConfigName): void {
    const video = this.#video;
    const config = this.#config;
    if (!only || only === 'muted') {
      video.muted = config.muted;
      video.defaultMuted = config.muted;
      this.#mutedByPolicy = false;
    }
    if (!only || only === 'controls') video.controls = config.controls && !this.#quietStart;
    if (!only || only === 'poster') this.#applyPoster();
  }

  /**
   * An autoplaying element starts quietly: until its first frame plays (or
   * autoplay is refused, or the start fails, or QUIET_START_MS pass; in
   * practice its `playing` event, usually just after the first frame), it asks
   * nothing of the browser or the server that competes with that frame. No
   * snapshot poster: it costs the server a decode and a JPEG encode, and on a
   * fast start arrives after the first frame anyway (150-500 ms for a
   * 1280-wide snapshot, against 170-220 ms to the first frame). No native
   * controls yet: Chromium builds them (a UA stylesheet, a dozen SVG icons)
   * on the main thread right when the player starts. Deferring both took
   * `npm run bench -- ttff --clients 20` from 360-410 ms to 302-343 ms p50
   * (three runs of each build, taking turns), as that bench then measured:
   * polling during the start, and to the first frame after readyState
   * reached HAVE_CURRENT_DATA (docs/benchmarks.md, "Before and after").
   */
  #beginQuietStart(): void {
    if (!this.#config.autoplay || this.#everPlayed) return;
    this.#quietStart = true;
    clearTimeout(this.#quietTimer);
    this.#quietTimer = setTimeout(() => this.#safely(() => this.#endQuietStart()), QUIET_START_MS);
  }

  #endQuietStart(): void {
    if (!this.#quietStart) return;
    this.#quietStart = false;
    clearTimeout(this.#quietTimer);
    this.#applyMediaAttributes('controls');
    // Once a frame is showing, a poster would never be seen, but the browser would still fetch it.
    if (!this.#everPlayed) this.#applyMediaAttributes('poster');
  }

  /** The `poster` attribute, else the stream's snapshot (not during a quiet start). */
  #applyPoster(): void {
    const video = this.#video;
    const config = this.#config;
    const location = config.src ? streamLocation(config.src, document.baseURI) : undefined;
    const width = Math.round((this.clientWidth || 640) * (globalThis.devicePixelRatio || 1));
    const poster = config.poster ?? (this.#quietStart ? '' : (location?.snapshot(width) ?? ''));
    // No poster is no attribute: the reflected property of an empty one reads as the page's own URL.
    if (poster) video.poster = poster;
    else video.removeAttribute('poster');
  }

  #start(): void {
    if (!this.#connected || this.#player || this.#suspended) return;
    const src = this.#config.src;
    const location = src ? streamLocation(src, document.baseURI) : undefined;
    if (!location) {
      this.#emitError({ type: ErrorType.OTHER, details: ErrorDetails.INVALID_OPTION, fatal: true, message: src ? `src="${src.slice(0, 200)}" is not an http(s) URL of a stream` : 'src is missing: the URL of a stream, https://HOST/streams/NAME' });
      return;
    }
    this.#message.hidden = true;
    this.#spinner.hidden = false;
    const player = new ModeSwitch(this.#video, { urls: location, mode: this.#config.mode, targetLatency: this.#config.latency });
    this.#player = player;
    for (const event of FORWARDED) player.on(event, (detail) => this.#safely(() => this.#onPlayerEvent(event, detail)));
    player.load();
  }

  #stop(): void {
    this.#player?.destroy();
    this.#player = undefined;
    this.#spinner.hidden = true;
    this.#setLive(false);
  }

  #restart(): void {
    this.#stop();
    this.#wanted = true;
    this.#start();
    this.#render();
  }

  #userPlay(): void {
    this.#needsClick = false;
    this.#wanted = true;
    // Inside the click: Safari then lets this element play, whenever the media comes.
    this.#video.play().catch(() => {});
    if (this.#player) this.#player.goLive();
    else this.#start();
    this.#render();
  }

  #unmuteNow(): void {
    this.#mutedByPolicy = false;
    this.#video.muted = false;
    this.#video.play().catch(() => {});
    this.#render();
  }

  #onKey(event: KeyboardEvent): void {
    if (event.altKey || event.ctrlKey || event.metaKey || event.key.toLowerCase() !== 's') return;
    this.#statsToggled = !(this.#statsToggled ?? this.#config.stats);
    this.#render();
  }

  #onPlayerEvent<K extends keyof ModeSwitchEventMap>(event: K, detail: ModeSwitchEventMap[K]): void {
    switch (event) {
      case PlayerEvent.LATENCY:
        this.#stats = detail as PlayerStats;
        this.#setLive(this.#stats.live);
        break;
      case PlayerEvent.PLAYING:
        this.#everPlayed = true;
        this.#needsClick = false;
        this.#endQuietStart();
        this.#spinner.hidden = true;
        this.#message.hidden = true;
        break;
      case PlayerEvent.STALLED:
        this.#spinner.hidden = false;
        break;
      case PlayerEvent.ERROR:
        this.#onError(detail as PlayerError);
        return;
    }
    this.#dispatch(event, detail);
    this.#render();
  }

  #onError(error: PlayerError): void {
    // A start that cannot go on by itself shows what it has: the snapshot, and controls to act with.
    if (error.fatal || error.details === ErrorDetails.AUTOPLAY_BLOCKED) this.#endQuietStart();
    if (error.details === ErrorDetails.AUTOPLAY_BLOCKED) {
      if (this.#video.muted && this.#video.paused) this.#needsClick = true;
      else if (!this.#config.muted) this.#mutedByPolicy = true;
    }
    if (error.fatal) {
      this.#stop();
      this.#wanted = false;
    }
    this.#emitError(error);
    this.#render();
  }

  /** Dispatches `error`, and shows a fatal one (a click on it tries again). */
  #emitError(error: PlayerError): void {
    if (error.fatal) {
      this.#spinner.hidden = true;
      this.#message.hidden = false;
      this.#message.textContent = `${error.message} — click to try again`;
    }
    this.#dispatch('error', error);
  }

  #setLive(live: boolean): void {
    if (live === this.#live) return;
    this.#live = live;
    this.#dispatch('live', { live });
  }

  #render(): void {
    const video = this.#video;
    const running = this.#player !== undefined;
    const statsShown = this.#statsToggled ?? this.#config.stats;
    this.#overlay.hidden = !statsShown;
    if (statsShown) this.#overlay.textContent = this.#stats ? statsText(this.#stats) : 'connecting…';
    this.#badge.hidden = !running || !this.#everPlayed;
    this.#badge.classList.toggle('behind', !this.#live);
    this.#badge.title = this.#live ? 'Live' : 'Behind live: click to return to the live edge';
    this.#play.hidden = !(this.#needsClick || (!this.#wanted && !running));
    // Unmute: when the page asked for sound and the policy muted it, or when there are no controls to unmute with.
    this.#unmute.hidden = !running || !video.muted || this.#needsClick || !(this.#mutedByPolicy || !this.#config.controls);
  }

  /** Hidden (another tab) or off screen: after suspendDelayMs, close the connection; visible again: open a fresh one at the live edge. */
  readonly #onVisibility = (): void => {
    this.#safely(() => {
      const hidden = document.visibilityState === 'hidden' || !this.#onScreen;
      if (!hidden) {
        clearTimeout(this.#suspendTimer);
        this.#suspendTimer = undefined;
        if (this.#suspended) {
          this.#suspended = false;
          if (this.#wanted) this.#start();
          this.#render();
        }
        return;
      }
      if (this.#suspended || this.#suspendTimer !== undefined || !this.#player || this.#keepsPlayingUnseen()) return;
      // A player that has not shown a frame yet (below the fold at load) waits for the viewer at once.
      const delay = this.#everPlayed ? FragcastPlayerElement.suspendDelayMs : 0;
      this.#suspendTimer = setTimeout(() => {
        this.#suspendTimer = undefined;
        const stillHidden = document.visibilityState === 'hidden' || !this.#onScreen;
        if (!stillHidden || this.#keepsPlayingUnseen() || !this.#player) return;
        this.#suspended = true;
        this.#stop();
        this.#render();
      }, delay);
    });
  };

  /** Picture-in-picture, or sound the user is listening to (a radio in a background tab): not a reason to disconnect. */
  #keepsPlayingUnseen(): boolean {
    const video = this.#video;
    return this.#root.pictureInPictureElement === video || (!video.muted && !video.paused && video.volume > 0);
  }

  #dispatch(type: string, detail: unknown): void {
    try {
      this.dispatchEvent(new CustomEvent(type, { detail }));
    } catch (error) {
      console.error('fragcast: dispatching an event failed', error);
    }
  }

  /** Runs `work`; a failure becomes an `error` event (and a console error), never an exception in the page. */
  #safely<T>(work: () => T): T | undefined {
    try {
      return work();
    } catch (error) {
      console.error('fragcast: internal error', error);
      this.#dispatch('error', { type: ErrorType.OTHER, details: ErrorDetails.INTERNAL_ERROR, fatal: false, message: String((error as Error)?.message ?? error) } satisfies PlayerError);
      return undefined;
    }
  }

  static {
    // The config properties reflect their attributes (settings.ts): the attribute is the truth, the property reads it parsed.
    for (const name of CONFIG_NAMES) {
      Object.defineProperty(this.prototype, name, {
        configurable: true,
        enumerable: true,
        get(this: FragcastPlayerElement) {
          return this.#config[name];
        },
        set(this: FragcastPlayerElement, value: unknown) {
          this.#safely(() => {
            const attribute = attributeFor(name, value);
            if (attribute === null) this.removeAttribute(name);
            else this.setAttribute(name, attribute);
          });
        },
      });
    }
  }
}

/** The config properties, defined on the prototype by the static block above. */
export interface FragcastPlayerElement extends Writable<PlayerConfig> {}

declare global {
  interface HTMLElementTagNameMap {
    'fragcast-player': FragcastPlayerElement;
  }
}

/** Registers `<fragcast-player>` (once, however many copies of the module a page loads). */
export function defineFragcastPlayer(): void {
  if (!customElements.get('fragcast-player')) customElements.define('fragcast-player', FragcastPlayerElement);
}
