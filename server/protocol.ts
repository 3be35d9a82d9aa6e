/**
 * The WebSocket wire protocol of `ws://HOST/streams/NAME/ws`, as types that
 * both the server and the client import (the client type-only). Described
 * for humans in docs/protocol.md; keep the two in step.
 *
 * Binary messages are always whole MP4 boxes: the init segment (ftyp+moov)
 * right after an `init` text message, or one or more consecutive fragments
 * ([styp|prft|emsg]* moof mdat each; a keyframe only ever first). Text messages
 * are JSON objects with a `type`.
 */

import type { TrackInfo } from './media/types.ts';

export const PROTOCOL_VERSION = 1;

/** A track as the init message describes it: the parser's facts less its internal trex defaults. */
export type TrackDescription = Omit<TrackInfo, 'defaults'>;

/** Server → viewer: the next binary message is a new init segment; fragments that follow belong to `generation`. */
export interface InitMessage {
  readonly type: 'init';
  readonly protocol: number;
  readonly stream: string;
  /** Starts at 1; +1 whenever the source restarts or a new publisher starts. The player resets its timeline on a change. */
  readonly generation: number;
  /** MediaSource type for `addSourceBuffer`, e.g. `video/mp4; codecs="avc1.64001f,mp4a.40.2"`. */
  readonly mime: string;
  readonly tracks: readonly TrackDescription[];
  /** Server wallclock (Unix ms) when the message was sent, for a coarse clock-offset estimate. */
  readonly serverTime: number;
}

/**
 * Server → viewer, just before each keyframe fragment: when the server
 * received it. Lets a viewer measure latency when the source writes no
 * `prft`, and a load generator measure server-added delay.
 */
export interface KeyframeMessage {
  readonly type: 'keyframe';
  readonly seq: number;
  readonly generation: number;
  /** Server wallclock (Unix ms) when the fragment was complete. */
  readonly arrivalMs: number;
  /** Decode time of the keyframe (seconds, primary track). */
  readonly decodeTime: number;
}

/** Server → viewer: the viewer fell behind and fragments were skipped up to the next keyframe. */
export interface SkipMessage {
  readonly type: 'skip';
  /** Fragments skipped in this episode before the keyframe that follows. */
  readonly skipped: number;
}

/** Server → viewer: a control message from the viewer could not be understood. The session goes on. */
export interface ErrorMessage {
  readonly type: 'error';
  /** A code from docs/errors.md. */
  readonly code: string;
  readonly message: string;
}

/** A timeline marker, as the API lists it and the `marker` message carries it. */
export interface MarkerDescription {
  /** Unique, also across server restarts; the EXT-X-DATERANGE ID in the HLS playlist. */
  readonly id: string;
  readonly label: string;
  /** The instant marked, RFC 3339 UTC with milliseconds (e.g. `2024-05-01T12:00:00.000Z`). */
  readonly time: string;
}

/**
 * Server → viewer: a timeline marker. Sent for every marker the stream
 * holds right after the instant start, then for each new one as it is added.
 */
export interface MarkerMessage extends MarkerDescription {
  readonly type: 'marker';
}

export type ServerMessage = InitMessage | KeyframeMessage | SkipMessage | PongMessage | ErrorMessage | MarkerMessage;

/** Viewer → server. Unknown types are ignored, so old servers tolerate new players. */
export interface PingMessage {
  readonly type: 'ping';
  /** Echoed back in the pong. */
  readonly id?: number;
}

export type ViewerMessage = PingMessage;

/** Server → viewer answer to a ping, for RTT measurement. */
export interface PongMessage {
  readonly type: 'pong';
  readonly id?: number;
  readonly serverTime: number;
}

/** WebSocket close codes fragcast uses (4000-4999 are application codes, RFC 6455 §7.4.2). */
export const CloseCodes = {
  GOING_AWAY: 1001,
  MESSAGE_TOO_BIG: 1009,
  BINARY_FROM_VIEWER: 4400,
  /** An operator ended the session (`DELETE /api/sessions/ID`). */
  SESSION_KICKED: 4403,
  VIEWER_TOO_SLOW: 4408,
  /** Ends outputs that cannot carry a new init in-band (chunked MP4); the WebSocket output never uses it. */
  STREAM_REINIT: 4409,
  STREAM_CLOSED: 4410,
  /** The viewer sent control messages faster than the server's limits.viewer_messages. */
  TOO_MANY_MESSAGES: 4429,
} as const;
