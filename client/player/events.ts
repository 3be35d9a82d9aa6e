import type { MarkerDescription } from '../../server/protocol.ts';

/**
 * The player's events and errors, in the style of hls.js: one string enum of
 * events with a payload type each, and errors as events of one shape
 * `{ type, details, fatal }`. `fatal: false` promises the player recovers by
 * itself; `fatal: true` means it stopped and the page must act.
 */

export const PlayerEvent = {
  /** Connected, init received, SourceBuffer ready. */
  READY: 'ready',
  /** Frames are advancing (after start, a stall or a reconnect). */
  PLAYING: 'playing',
  /** Playback stopped advancing for want of data. */
  STALLED: 'stalled',
  /** Periodic figures (every 500 ms while playing). */
  LATENCY: 'latency',
  /** Each frame shown, with its glass-to-glass latency when known (for measurement tools). */
  FRAME: 'frame',
  /** A new init generation began (source restart, new publisher). */
  GENERATION: 'generation',
  /** A timeline marker became known (from the WebSocket or the HLS playlist); may repeat for one id. */
  MARKER: 'marker',
  ERROR: 'error',
} as const;
export type PlayerEventName = (typeof PlayerEvent)[keyof typeof PlayerEvent];

export const ErrorType = {
  NETWORK: 'networkError',
  MEDIA: 'mediaError',
  OTHER: 'otherError',
} as const;
export type ErrorTypeName = (typeof ErrorType)[keyof typeof ErrorType];

export const ErrorDetails = {
  /** The WebSocket could not connect or closed; the player reconnects. */
  WS_CLOSED: 'wsClosed',
  /** The WebSocket never connected (a proxy that blocks it, say); fatal, so the page can fall back to HLS. */
  WS_UNAVAILABLE: 'wsUnavailable',
  /** HLS loading failed (playlist, part or segment); hls.js retries. */
  HLS_NETWORK: 'hlsNetworkError',
  /** HLS media could not be appended or decoded; the player tries to recover. */
  HLS_MEDIA: 'hlsMediaError',
  /** The playlist never loaded (before anything played); fatal, so an `auto` player can try the next mode. */
  HLS_UNAVAILABLE: 'hlsUnavailable',
  /** The chunked live.mp4 response ended or failed; the player requests it again. */
  MP4_ERROR: 'mp4Error',
  /** live.mp4 never played in several attempts; fatal, so an `auto` player can try the next mode. */
  MP4_UNAVAILABLE: 'mp4Unavailable',
  /** This browser has neither MediaSource nor native HLS. */
  HLS_UNSUPPORTED: 'hlsUnsupported',
  /** The server sent something that breaks the protocol (docs/protocol.md). */
  PROTOCOL_ERROR: 'protocolError',
  /** This browser has no MediaSource. */
  MSE_UNSUPPORTED: 'mseUnsupported',
  /** The browser cannot play the stream's codecs. */
  CODEC_UNSUPPORTED: 'codecUnsupported',
  /** appendBuffer failed; the player resets its buffer and waits for a keyframe. */
  APPEND_FAILED: 'appendFailed',
  /** The SourceBuffer was full; old media was evicted. */
  BUFFER_FULL: 'bufferFull',
  /** The browser refused to start playback (autoplay policy); the page should offer a play button. */
  AUTOPLAY_BLOCKED: 'autoplayBlocked',
  /** Playback stopped for want of data (a source restart, a slow network); it resumes when data comes. */
  BUFFER_STALLED: 'bufferStalled',
  /** No mode can play this stream in this browser (or the one asked for cannot); fatal. */
  NO_PLAYABLE_MODE: 'noPlayableMode',
  /** An attribute or property had a value the element cannot use; the default applies instead. */
  INVALID_OPTION: 'invalidOption',
  /** A bug in the player, caught before it reached the page; reported (and logged to the console) so the page can tell. */
  INTERNAL_ERROR: 'internalError',
  /** player.js (or one of its chunks) could not be loaded by embed.js; fatal. */
  PLAYER_LOAD_FAILED: 'playerLoadFailed',
  /** The server says this viewer fell behind; fragments up to a keyframe were skipped. */
  FRAGMENTS_SKIPPED: 'fragmentsSkipped',
  /** An operator disconnected this viewer (close code 4403); the player does not reconnect (fatal). */
  KICKED: 'kicked',
} as const;
export type ErrorDetailName = (typeof ErrorDetails)[keyof typeof ErrorDetails];

export interface PlayerError {
  readonly type: ErrorTypeName;
  readonly details: ErrorDetailName;
  readonly fatal: boolean;
  readonly message: string;
}

/** How a player gets the stream: WebSocket + MSE, LL-HLS (hls.js, or the browser's own), or the chunked live.mp4. */
export type PlayerMode = 'ws' | 'hls' | 'mp4';

export interface PlayerStats {
  readonly mode: PlayerMode;
  /** Glass-to-glass latency in seconds (producer wallclock of the shown frame to now), when known. */
  readonly latency: number | undefined;
  /** Wallclock (Unix ms) at which the frame shown was produced (prft, or HLS PROGRAM-DATE-TIME), when known. */
  readonly playingDate: number | undefined;
  /** Seconds buffered ahead of the playhead. */
  readonly buffer: number;
  /** What the latency controller holds (WebSocket and MP4: seconds of buffer; HLS: seconds behind the playlist's live edge; unknown for the browser's own HLS). */
  readonly targetLatency: number | undefined;
  /** Playing at the live edge: not paused, not seeked back into the DVR window, not far behind the target. */
  readonly live: boolean;
  /** Received bits per second over the last ~2 s. */
  readonly bitrate: number;
  readonly droppedFrames: number;
  readonly decodedFrames: number;
  readonly playbackRate: number;
  readonly reconnects: number;
  readonly skips: number;
  readonly generation: number;
  readonly width: number;
  readonly height: number;
  /** Milliseconds from load() to the first frame shown, once it was. */
  readonly timeToFirstFrame: number | undefined;
  /** When the first frame was shown, in ms since navigation (performance.now()). */
  readonly firstFrameAt: number | undefined;
}

export interface PlayerEventMap {
  ready: { readonly mime: string; readonly generation: number };
  playing: Record<string, never>;
  stalled: { readonly buffer: number };
  latency: PlayerStats;
  frame: { readonly mediaTime: number; readonly latency: number | undefined };
  generation: { readonly generation: number; readonly mime: string };
  marker: MarkerDescription;
  error: PlayerError;
}
