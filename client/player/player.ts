import type { CloseCodes, InitMessage, ServerMessage, TrackDescription } from '../../server/protocol.ts';
import { AppendQueue } from './append-queue.ts';
import { ByteRate, FirstFrameClock, videoFigures } from './media-stats.ts';
import { Emitter } from './emitter.ts';
import { ErrorDetails, ErrorType, PlayerEvent, type ErrorDetailName, type ErrorTypeName, type PlayerEventMap, type PlayerStats } from './events.ts';
import { LatencyController, type LatencyControllerOptions } from './latency-controller.ts';
import { LiveEdge } from './live-edge.ts';
import { attachMediaSource, mediaSourceClass } from './media-source.ts';
import { peekFragment } from './mp4-peek.ts';
import { nextDelay, type ReconnectOptions } from './reconnect.ts';
import { WsTransport } from './ws-transport.ts';

/** The value is checked against the protocol module at compile time; the client imports it type-only. */
const SESSION_KICKED: (typeof CloseCodes)['SESSION_KICKED'] = 4403;

export interface PlayerOptions extends ReconnectOptions {
  /** WebSocket URL of the stream, e.g. `ws://host/streams/demo/ws`. */
  readonly url: string;
  /** Seconds of buffer held ahead of the playhead: the floor of the adaptive target (latency-controller.ts). Default 0.15. */
  readonly targetLatency?: number;
  readonly latency?: Partial<LatencyControllerOptions>;
  /**
   * When the WebSocket has never opened after this many attempts, stop with a
   * fatal WS_UNAVAILABLE error instead of retrying (the page falls back to
   * HLS). Once it has opened, drops are always retried. Default: never.
   */
  readonly giveUpAfterFailures?: number;
}

/** Pings after each connection opens (then one every 10 s): a few samples early, when the latency figure starts. */
const EARLY_PINGS_MS = [0, 1000, 2500, 5000];

/** A producer-time anchor: media at `presentation` (element timeline, s) was produced at `wallclockMs`. */
interface ClockAnchor {
  readonly presentation: number;
  readonly wallclockMs: number;
}

/**
 * A reconnection's first fragment more than this far from the buffered end
 * means a new timeline (a new server); within it, the same one (the GOP
 * replay overlaps what is buffered).
 */
const CONTINUITY_BEHIND_S = 30;
const CONTINUITY_AHEAD_S = 10;

/**
 * Plays a fragcast stream over WebSocket + MSE: each binary message is
 * appended as is; the latency controller keeps the playhead near the live
 * edge; a new init generation (source restart) continues on the same
 * timeline by shifting timestampOffset; a lost connection is retried with
 * jittered backoff. Errors are events; nothing is thrown at the page.
 */
export class FragcastPlayer extends Emitter<PlayerEventMap> {
  readonly #video: HTMLVideoElement;
  readonly #options: PlayerOptions;
  readonly #transport = new WsTransport();
  readonly #edge: LiveEdge;
  #mediaSource: MediaSource | undefined;
  #objectUrl: string | undefined;
  #sourceBuffer: SourceBuffer | undefined;
  #queue: AppendQueue | undefined;
  /** Segments that arrived before the SourceBuffer existed. */
  #early: { data: ArrayBuffer; keyframe: boolean }[] = [];
  #mime: string | undefined;
  #generation = 0;
  #tracks = new Map<number, TrackDescription>();
  #expectInitSegment = false;
  #nextIsKeyframe = false;
  #arrivalAnchor: { decodeTime: number; arrivalMs: number } | undefined;
  /** Set on every (re)connect and new init: the next fragment decides whether the timeline continues. */
  #checkContinuity = true;
  /** The next placement is a new generation's: its timestamps owe nothing to the old ones. */
  #newGeneration = false;
  #offset = 0;
  #anchors: ClockAnchor[] = [];
  #clockOffsetMs = 0;
  #bestRttMs = Infinity;
  #reconnects = 0;
  #failures = 0;
  #everOpened = false;
  #playingDate: number | undefined;
  #skips = 0;
  readonly #firstFrame = new FirstFrameClock();
  #latency: number | undefined;
  readonly #received = new ByteRate();
  #timers: ReturnType<typeof setInterval>[] = [];
  #reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  #pings: ReturnType<typeof setTimeout>[] = [];
  #destroyed = false;
  #waiting = false;

  constructor(video: HTMLVideoElement, options: PlayerOptions) {
    super();
    this.#video = video;
    this.#options = options;
    const controller = new LatencyController({ ...options.latency, ...(options.targetLatency !== undefined ? { targetBuffer: options.targetLatency } : {}) });
    this.#edge = new LiveEdge(video, controller, { seekable: true, reload: () => {}, report: (error) => this.emit(PlayerEvent.ERROR, error) });
  }

  /** Starts playing. Fatal errors (no MSE) are emitted, not thrown. */
  load(): void {
    this.#firstFrame.loadStarted(this.#video);
    if (!mediaSourceClass()) {
      this.#error(ErrorType.MEDIA, ErrorDetails.MSE_UNSUPPORTED, true, 'This browser has no MediaSource Extensions');
      return;
    }
    this.#video.addEventListener('waiting', this.#onWaiting);
    this.#video.addEventListener('playing', this.#onPlaying);
    this.#timers.push(setInterval(() => this.#edge.steer(this.#waiting), 250), setInterval(() => this.emit(PlayerEvent.LATENCY, this.stats), 500));
    this.#timers.push(setInterval(() => this.#ping(), 10_000));
    this.#watchFrames();
    this.#attachMediaSource();
    this.#connect();
  }

  get stats(): PlayerStats {
    return {
      mode: 'ws',
      latency: this.#latency,
      playingDate: this.#playingDate,
      ...this.#edge.figures,
      bitrate: this.#received.bitsPerSecond,
      ...videoFigures(this.#video),
      reconnects: this.#reconnects,
      skips: this.#skips,
      generation: this.#generation,
      ...this.#firstFrame.figures,
    };
  }

  /** Back to the live edge after a pause. */
  goLive(): void {
    this.#edge.goLive();
  }

  destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    this.#transport.abort();
    for (const timer of this.#timers) clearInterval(timer);
    clearTimeout(this.#reconnectTimer);
    for (const ping of this.#pings) clearTimeout(ping);
    this.#video.removeEventListener('waiting', this.#onWaiting);
    this.#video.removeEventListener('playing', this.#onPlaying);
    this.#queue?.close();
    if (this.#objectUrl) URL.revokeObjectURL(this.#objectUrl);
    this.#video.removeAttribute('src');
    this.#video.load();
    this.removeAllListeners();
  }

  // ── connection ────────────────────────────────────────────────────

  #connect(): void {
    this.#checkContinuity = true;
    this.#transport.load(this.#options.url, {
      onOpen: () => {
        this.#everOpened = true;
        // The clock offset keeps the sample with the shortest round trip; the first, amid the page's start, is rarely it.
        for (const ping of this.#pings) clearTimeout(ping);
        this.#pings = EARLY_PINGS_MS.map((delay) => setTimeout(() => this.#ping(), delay));
      },
      onMessage: (message) => this.#onMessage(message),
      onBinary: (data) => this.#onBinary(data),
      onClose: (code, reason) => this.#onClose(code, reason),
      onProtocolError: (why) => this.#error(ErrorType.NETWORK, ErrorDetails.PROTOCOL_ERROR, false, `The server sent ${why}; skipped`),
    });
  }

  #onClose(code: number, reason: string): void {
    if (this.#destroyed) return;
    if (code === SESSION_KICKED) {
      // An operator ended this viewer on purpose: reconnecting would undo that.
      this.#error(ErrorType.NETWORK, ErrorDetails.KICKED, true, `Disconnected by an operator (${code}${reason ? `: ${reason}` : ''})`);
      return;
    }
    const giveUp = this.#options.giveUpAfterFailures;
    if (!this.#everOpened && giveUp !== undefined && this.#failures + 1 >= giveUp) {
      this.#error(ErrorType.NETWORK, ErrorDetails.WS_UNAVAILABLE, true, `The WebSocket did not connect in ${giveUp} attempts (${code}${reason ? `: ${reason}` : ''})`);
      this.destroy();
      return;
    }
    const jittered = nextDelay(this.#options, this.#failures);
    this.#failures++;
    this.#error(ErrorType.NETWORK, ErrorDetails.WS_CLOSED, false, `WebSocket closed (${code}${reason ? `: ${reason}` : ''}); reconnecting in ${jittered} ms`);
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnects++;
      this.#connect();
    }, jittered);
  }

  #ping(): void {
    const sent = Date.now();
    this.#transport.send({ type: 'ping', id: sent });
  }

  #onMessage(message: ServerMessage): void {
    switch (message.type) {
      case 'init':
        this.#onInit(message);
        return;
      case 'keyframe':
        this.#nextIsKeyframe = true;
        this.#arrivalAnchor = { decodeTime: message.decodeTime, arrivalMs: message.arrivalMs };
        return;
      case 'skip':
        this.#skips++;
        this.#error(ErrorType.NETWORK, ErrorDetails.FRAGMENTS_SKIPPED, false, `Fell behind; the server skipped ${message.skipped} fragments to the next keyframe`);
        return;
      case 'pong': {
        // NTP-style offset from the ping that had the smallest round trip: the least skewed sample.
        const now = Date.now();
        const sent = message.id ?? now;
        const rtt = now - sent;
        if (rtt <= this.#bestRttMs) {
          this.#bestRttMs = rtt;
          this.#clockOffsetMs = message.serverTime - (sent + now) / 2;
        }
        return;
      }
      case 'marker':
        this.emit(PlayerEvent.MARKER, { id: message.id, label: message.label, time: message.time });
        return;
      case 'error':
        return;
    }
  }

  #onInit(message: InitMessage): void {
    this.#tracks = new Map(message.tracks.map((track) => [track.id, track]));
    this.#expectInitSegment = true;
    this.#checkContinuity = true;
    const changedGeneration = message.generation !== this.#generation;
    this.#generation = message.generation;
    this.#newGeneration ||= changedGeneration;
    // Before the MediaSource decides on the codecs: a mode switch learns the mime even when they are refused.
    if (changedGeneration) this.emit(PlayerEvent.GENERATION, { generation: message.generation, mime: message.mime });
    if (message.mime === this.#mime) return;
    if (!mediaSourceClass()!.isTypeSupported(message.mime)) {
      this.#error(ErrorType.MEDIA, ErrorDetails.CODEC_UNSUPPORTED, true, `This browser cannot play ${message.mime}`);
      this.destroy();
      return;
    }
    this.#mime = message.mime;
    const buffer = this.#sourceBuffer;
    // New codecs mid-stream (a source restarted with other settings): the same SourceBuffer, retyped in turn.
    if (buffer) this.#queue!.enqueueTask(() => buffer.changeType(message.mime));
    else this.#addSourceBuffer();
  }

  /**
   * Attaches a MediaSource to the element as the player loads, before the
   * server has said what the stream holds: the element opens it (sourceopen,
   * measured at 40-60 ms in headless Chromium) while the WebSocket connects,
   * instead of after the init message.
   */
  #attachMediaSource(): void {
    const mediaSource = new (mediaSourceClass()!)();
    this.#mediaSource = mediaSource;
    mediaSource.addEventListener(
      'sourceopen',
      () => {
        if (this.#destroyed) return;
        // Live: no duration, so the element's seekable range follows what is buffered.
        mediaSource.duration = Infinity;
        this.#addSourceBuffer();
      },
      { once: true },
    );
    this.#objectUrl = attachMediaSource(this.#video, mediaSource);
  }

  /** Once the MediaSource is open and the stream's codecs are known (both happen once, in either order). */
  #addSourceBuffer(): void {
    const mediaSource = this.#mediaSource;
    if (this.#destroyed || this.#sourceBuffer || this.#mime === undefined || mediaSource?.readyState !== 'open') return;
    const buffer = mediaSource.addSourceBuffer(this.#mime);
    buffer.mode = 'segments';
    this.#sourceBuffer = buffer;
    this.#queue = new AppendQueue(buffer, this.#video, (error, kind) => this.#appendFailed(error, kind));
    // Start on the first append that leaves media buffered, not on the next steering tick.
    const startWhenBuffered = (): void => {
      if (this.#edge.started || !buffer.buffered.length) return;
      buffer.removeEventListener('updateend', startWhenBuffered);
      this.#edge.steer(this.#waiting);
    };
    buffer.addEventListener('updateend', startWhenBuffered);
    for (const early of this.#early) this.#queue.append(early.data, early.keyframe);
    this.#early = [];
    this.emit(PlayerEvent.READY, { mime: this.#mime, generation: this.#generation });
  }

  #onBinary(data: ArrayBuffer): void {
    this.#received.add(data.byteLength);
    if (this.#expectInitSegment) {
      this.#expectInitSegment = false;
      this.#failures = 0;
      this.#enqueue(data, true);
      return;
    }
    const keyframe = this.#nextIsKeyframe;
    this.#nextIsKeyframe = false;
    const timing = peekFragment(data);
    if (timing) {
      const timescale = this.#tracks.get(timing.trackId)?.timescale ?? 1;
      const decodeTime = timing.baseDecodeTime / timescale;
      if (this.#checkContinuity) {
        this.#checkContinuity = false;
        this.#placeOnTimeline(decodeTime);
      }
      if (timing.wallclockMs !== undefined && timing.prftMediaTime !== undefined) {
        const prftScale = this.#tracks.get(timing.prftTrackId ?? timing.trackId)?.timescale ?? timescale;
        this.#anchor({ presentation: timing.prftMediaTime / prftScale + this.#offset, wallclockMs: timing.wallclockMs });
      } else if (keyframe && this.#arrivalAnchor) {
        this.#anchor({ presentation: this.#arrivalAnchor.decodeTime + this.#offset, wallclockMs: this.#arrivalAnchor.arrivalMs });
      }
    }
    this.#enqueue(data, keyframe);
  }

  #enqueue(data: ArrayBuffer, keyframe: boolean): void {
    if (this.#queue) this.#queue.append(data, keyframe);
    else this.#early.push({ data, keyframe });
  }

  /**
   * Decides where the first fragment of a connection or generation goes. If it
   * lands near what is buffered, the timeline continues; otherwise (a source
   * restart starts again at 0, a new server) it is shifted to follow the
   * buffered end, so playback carries on without a reset. A new generation
   * continues only past the buffered end: one that lands before it (ffmpeg
   * restarted at 0 a few seconds into the stream) would otherwise overwrite
   * the media ahead of the playhead and leave it waiting until the new
   * timestamps caught up with the old.
   */
  #placeOnTimeline(decodeTime: number): void {
    const newGeneration = this.#newGeneration;
    this.#newGeneration = false;
    const end = this.#bufferedEnd();
    if (end === undefined) return;
    const landing = decodeTime + this.#offset;
    const behind = newGeneration ? 0 : CONTINUITY_BEHIND_S;
    if (landing >= end - behind && landing <= end + CONTINUITY_AHEAD_S) return;
    const offset = end + 0.05 - decodeTime;
    this.#offset = offset;
    this.#anchors = [];
    const enqueueOffset = (): void => {
      this.#sourceBuffer!.timestampOffset = offset;
    };
    if (this.#queue) this.#queue.enqueueTask(enqueueOffset);
  }

  #appendFailed(error: unknown, kind: 'quota' | 'append'): void {
    const message = (error as Error)?.message ?? String(error);
    if (kind === 'quota') this.#error(ErrorType.MEDIA, ErrorDetails.BUFFER_FULL, false, `SourceBuffer full; evicting old media (${message})`);
    else this.#error(ErrorType.MEDIA, ErrorDetails.APPEND_FAILED, false, `appendBuffer failed; waiting for the next keyframe (${message})`);
  }

  // ── playback ──────────────────────────────────────────────────────

  readonly #onWaiting = (): void => {
    this.#waiting = true;
    this.#edge.stalled();
    const buffer = this.#edge.ahead;
    this.emit(PlayerEvent.STALLED, { buffer });
    // Like hls.js's BUFFER_STALLED_ERROR: reported, never fatal; the next fragment (or generation) resumes playback.
    if (this.#firstFrame.shown) this.#error(ErrorType.MEDIA, ErrorDetails.BUFFER_STALLED, false, `Playback stalled with ${Math.round(buffer * 1000)} ms buffered; waiting for data`);
  };

  readonly #onPlaying = (): void => {
    this.#waiting = false;
    this.#firstFrame.playing();
    this.emit(PlayerEvent.PLAYING, {});
  };

  /** Measures latency per displayed frame: when it is shown against when its media was produced. */
  #watchFrames(): void {
    const video = this.#video;
    if (typeof video.requestVideoFrameCallback !== 'function') {
      this.#timers.push(setInterval(() => this.#measure(video.currentTime, Date.now()), 250));
      return;
    }
    const onFrame = (_now: number, frame: VideoFrameCallbackMetadata): void => {
      if (this.#destroyed) return;
      this.#measure(frame.mediaTime, performance.timeOrigin + frame.expectedDisplayTime);
      video.requestVideoFrameCallback(onFrame);
    };
    video.requestVideoFrameCallback(onFrame);
  }

  #measure(mediaTime: number, shownAtMs: number): void {
    // The newest anchor at or before this frame (anchors are in arrival order).
    let anchor: ClockAnchor | undefined;
    for (let i = this.#anchors.length - 1; i >= 0; i--) {
      if (this.#anchors[i]!.presentation <= mediaTime + 0.001) {
        anchor = this.#anchors[i];
        break;
      }
    }
    anchor ??= this.#anchors[0];
    if (anchor) {
      const producedAtMs = anchor.wallclockMs + (mediaTime - anchor.presentation) * 1000;
      this.#playingDate = producedAtMs;
      this.#latency = (shownAtMs + this.#clockOffsetMs - producedAtMs) / 1000;
    }
    this.emit(PlayerEvent.FRAME, { mediaTime, latency: anchor ? this.#latency : undefined });
  }

  #anchor(anchor: ClockAnchor): void {
    this.#anchors.push(anchor);
    if (this.#anchors.length > 64) this.#anchors.shift();
  }

  #bufferedEnd(): number | undefined {
    const buffered = this.#sourceBuffer?.buffered;
    return buffered?.length ? buffered.end(buffered.length - 1) : undefined;
  }

  #error(type: ErrorTypeName, details: ErrorDetailName, fatal: boolean, message: string): void {
    this.emit(PlayerEvent.ERROR, { type, details, fatal, message });
  }
}
