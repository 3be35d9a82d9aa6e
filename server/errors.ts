/**
 * The one registry of fragcast's error codes. Every error a user, operator or
 * client can see comes from here, with a stable code, an HTTP status where it
 * is answered over HTTP, and a message template. `docs/errors.md` documents
 * each code; `server/test/errors.test.ts` keeps the two in sync. A code is
 * never reused for a different meaning.
 */

import { CloseCodes } from './protocol.ts';

export interface ErrorSpec {
  readonly status: number;
  /** Message template; `{name}` placeholders are filled from the params. */
  readonly message: string;
}

export const ERRORS = {
  // ── HTTP and routing ────────────────────────────────────────────────
  NOT_FOUND: { status: 404, message: 'No route for {method} {url}' },
  METHOD_NOT_ALLOWED: { status: 405, message: '{method} is not allowed on {url}' },
  STREAM_NOT_FOUND: { status: 404, message: 'Stream "{stream}" does not exist' },
  UPGRADE_REQUIRED: { status: 426, message: '{url} is a WebSocket endpoint: connect with a WebSocket client' },
  INTERNAL_ERROR: { status: 500, message: 'Internal error: {why}' },
  INVALID_STREAM_NAME: { status: 400, message: 'Stream name "{stream}" is invalid: use 1-64 characters of a-z, 0-9, "_" and "-"' },
  ASSET_MISSING: { status: 500, message: 'Client bundle "{asset}" is missing: run "npm run build"' },
  STREAM_NOT_READY: { status: 503, message: 'Stream "{stream}" has no keyframe yet; retry in a moment' },
  SESSION_NOT_FOUND: { status: 404, message: 'Viewer session "{session}" does not exist (it may have ended)' },
  SERVER_NOT_READY: { status: 503, message: 'Not ready: no keyframe yet from {streams}' },
  ORIGIN_NOT_ALLOWED: { status: 403, message: 'Pages from {origin} may not play stream "{stream}" (not in its cors.origins)' },

  // ── Snapshots (GET /streams/NAME/snapshot.jpg) ──────────────────────
  SNAPSHOT_WIDTH_INVALID: { status: 400, message: 'width must be a whole number of pixels (clamped to {min}-{max}), got "{value}"' },
  SNAPSHOT_NO_VIDEO: { status: 404, message: 'Stream "{stream}" has no video track to take a picture of' },
  SNAPSHOT_BUSY: { status: 503, message: 'Too many snapshot decodes are waiting ({queued}); retry in a moment' },
  SNAPSHOT_DECODE_FAILED: { status: 500, message: 'ffmpeg could not decode the keyframe of stream "{stream}": {why}' },
  SNAPSHOT_TIMEOUT: { status: 504, message: 'Decoding the keyframe of stream "{stream}" took longer than {ms} ms' },

  BODY_TOO_LARGE: { status: 413, message: 'Request body exceeds {limit} bytes' },
  REQUEST_TIMEOUT: { status: 408, message: 'The request body did not arrive within {seconds} s' },
  HEADERS_TOO_LARGE: { status: 431, message: 'Request headers exceed {limit} bytes' },
  BODY_NOT_JSON: { status: 400, message: 'Request body is not valid JSON: {why}' },
  CONTENT_TYPE_UNSUPPORTED: { status: 415, message: 'Content-Type must be {expected}, got "{got}"' },

  // ── Access control (docs/security.md) ───────────────────────────────
  ACCESS_CREDENTIALS_MISSING: { status: 401, message: 'Stream "{stream}" is not public: {how}' },
  LINK_EXPIRED: { status: 403, message: 'The link to stream "{stream}" expired at {expired}' },
  LINK_INVALID: { status: 403, message: 'The link is not signed for stream "{stream}" (forged, altered, malformed, or for another stream)' },
  TOKEN_INVALID: { status: 403, message: 'The token is not valid: {why}' },
  TOKEN_EXPIRED: { status: 403, message: 'The token expired at {expired}' },
  TOKEN_STREAM_NOT_ALLOWED: { status: 403, message: 'The token does not open stream "{stream}"' },
  IP_NOT_ALLOWED: { status: 403, message: 'Address {address} may not reach {what}' },
  ADMIN_TOKEN_MISSING: { status: 401, message: 'Operator routes need the admin token (Authorization: Bearer TOKEN)' },
  ADMIN_TOKEN_INVALID: { status: 403, message: 'The admin token is wrong' },
  ADMIN_PASSWORD_INVALID: { status: 401, message: 'The admin token given as the Basic authentication password is wrong' },
  CROSS_SITE_REFUSED: { status: 403, message: 'A cross-site {method} carrying the browser\'s stored credentials is refused (Origin {origin})' },
  LINK_SIGNING_UNAVAILABLE: { status: 409, message: 'Cannot mint a link to stream "{stream}": {why}' },
  LINK_REQUEST_INVALID: { status: 422, message: 'The link request is invalid: {why}' },

  // ── Limits (docs/security.md) ───────────────────────────────────────
  STREAM_VIEWER_LIMIT: { status: 503, message: 'Stream "{stream}" has its maximum of {limit} viewers; retry later' },
  SERVER_VIEWER_LIMIT: { status: 503, message: 'The server has its maximum of {limit} viewers; retry later' },
  TOO_MANY_CONNECTIONS: { status: 429, message: 'Address {address} has its maximum of {limit} viewer connections open' },

  // ── HLS (docs/hls.md) ───────────────────────────────────────────────
  HLS_DIRECTIVE_INVALID: { status: 400, message: 'Delivery directive is invalid: {why}' },
  HLS_DIRECTIVE_TOO_FAR: { status: 400, message: '{what} is too far ahead of the playlist (last segment {msn}, last part {part})' },
  HLS_BLOCKING_TIMEOUT: { status: 503, message: 'Stream "{stream}" produced no {what} within {seconds} s' },
  HLS_MEDIA_NOT_FOUND: { status: 404, message: '"{file}" is not in the HLS window of stream "{stream}"' },

  // ── Timeline markers ────────────────────────────────────────────────
  MARKER_INVALID: { status: 422, message: 'Marker is invalid: {why}' },

  // ── WebSocket viewers (close reasons; status is the close code) ─────
  WS_BINARY_FROM_VIEWER: { status: CloseCodes.BINARY_FROM_VIEWER, message: 'Viewers may not send binary messages' },
  WS_MESSAGE_TOO_LARGE: { status: CloseCodes.MESSAGE_TOO_BIG, message: 'Message exceeds {limit} bytes' },
  WS_MESSAGE_RATE: { status: CloseCodes.TOO_MANY_MESSAGES, message: 'Viewers may send at most {rate} control messages per second' },
  VIEWER_TOO_SLOW: { status: CloseCodes.VIEWER_TOO_SLOW, message: 'Viewer stayed behind the live edge for more than {seconds} s' },
  STREAM_CLOSED: { status: CloseCodes.STREAM_CLOSED, message: 'Stream "{stream}" was removed' },
  STREAM_REINIT: { status: CloseCodes.STREAM_REINIT, message: 'Stream "{stream}" restarted with a new init segment; reconnect to continue' },
  SERVER_SHUTTING_DOWN: { status: CloseCodes.GOING_AWAY, message: 'Server is shutting down' },
  SESSION_KICKED: { status: CloseCodes.SESSION_KICKED, message: 'Disconnected by an operator' },

  // ── Media input (logged, then the source is restarted) ──────────────
  MEDIA_BOX_TOO_SMALL: { status: 422, message: 'Box "{type}" at byte {offset} declares size {size}, below the 8-byte header' },
  MEDIA_BOX_TOO_LARGE: { status: 422, message: 'Box "{type}" at byte {offset} declares size {size}, over the {limit}-byte limit' },
  MEDIA_BOX_TYPE_INVALID: { status: 422, message: 'Bytes at offset {offset} are not an MP4 box (type {type})' },
  MEDIA_BOX_UNEXPECTED: { status: 422, message: 'Unexpected "{type}" box at byte {offset}: {why}' },
  MEDIA_FRAGMENT_BEFORE_INIT: { status: 422, message: 'Fragment at byte {offset} arrived before any init segment (ftyp+moov)' },
  MEDIA_INIT_INVALID: { status: 422, message: 'Init segment is invalid: {why}' },
  MEDIA_FRAGMENT_INVALID: { status: 422, message: 'Fragment at byte {offset} is invalid: {why}' },
  MEDIA_TRUNCATED: { status: 422, message: 'Input ended inside box "{type}" ({have} of {size} bytes)' },

  // ── Sources ─────────────────────────────────────────────────────────
  FFMPEG_NOT_FOUND: {
    status: 500,
    message:
      'ffmpeg was not found. Provide it in one of three ways: set FFMPEG_PATH (or the configured ffmpeg path), ' +
      'install it on PATH (Debian: apt-get install ffmpeg), or install the optional npm dependency @ffmpeg-installer/ffmpeg',
  },
  FFMPEG_PATH_INVALID: { status: 500, message: 'ffmpeg path "{path}" ({from}) is not an executable file' },
  SOURCE_EXITED: { status: 502, message: 'The source exited by itself ({how}) after {seconds} s{said}' },

  // ── Push ingest (answered to the publisher) ─────────────────────────
  PUSH_STREAM_NOT_FOUND: { status: 404, message: 'There is no push stream "{stream}"' },
  PUBLISH_UNAUTHORIZED: { status: 401, message: 'Publishing to "{stream}" needs its publish key (Authorization: Bearer KEY, or ?key=KEY)' },
  PUBLISHER_CONFLICT: { status: 409, message: 'Stream "{stream}" already has a publisher; one at a time' },
  PUBLISHER_REPLACED: { status: 409, message: 'A new publisher of "{stream}" took this one\'s place (source.takeover)' },
  PUBLISHER_IDLE: { status: 408, message: 'The publisher of "{stream}" sent nothing for {seconds} s' },
  PUBLISHER_BITRATE_EXCEEDED: { status: 429, message: 'The publisher of "{stream}" sent more than {limit} bit/s (over {seconds} s)' },
  PUBLISHER_MEDIA_INVALID: { status: 422, message: 'The media pushed to "{stream}" is not fragmented MP4: {why}' },
  INGEST_CLOSED: { status: 410, message: 'Stream "{stream}" stopped taking pushed media (removed or reconfigured)' },

  // ── Configuration ───────────────────────────────────────────────────
  CONFIG_INVALID: { status: 422, message: 'Configuration {file} is invalid ({count} problems):\n{list}' },
  CONFIG_UNREADABLE: { status: 500, message: 'Configuration file {file} cannot be read: {why}' },
  RELOAD_UNAVAILABLE: { status: 409, message: 'fragcast was started without --config: there is no configuration file to reload' },

  // ── Startup ─────────────────────────────────────────────────────────
  UWS_NATIVE_UNAVAILABLE: {
    status: 500,
    message:
      'The uWebSockets.js native binary did not load ({why}); its JavaScript fallback is far slower. ' +
      'Use Node 20 on glibc >= 2.27 (linux x64/arm64, macOS, Windows), or start with --allow-uws-fallback to accept it',
  },
  LISTEN_FAILED: { status: 500, message: 'Could not listen on {host}:{port} (in use, or not permitted)' },
  ADMIN_TOKEN_REQUIRED: {
    status: 500,
    message:
      'Listening on {host}, which is not a loopback address, without an admin token would open the operator routes (/api, /stats, /metrics) to the network. ' +
      'Set admin.token (or FRAGCAST_ADMIN_TOKEN), or accept it with admin.allow_insecure: true (or --allow-insecure-admin)',
  },
  TLS_UNAVAILABLE: { status: 500, message: 'The TLS certificate and key could not be loaded: {why}' },
  INVALID_ARGUMENT: { status: 400, message: '{what}' },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERRORS;

export type ErrorParams = Record<string, string | number | bigint | boolean | undefined>;

function format(template: string, params: ErrorParams): string {
  return template.replace(/\{(\w+)\}/g, (whole, key: string) => (params[key] === undefined ? whole : String(params[key])));
}

/** An error with a registry code. `status` is the HTTP status (or WS close code). */
export class FragcastError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly params: ErrorParams;

  constructor(code: ErrorCode, params: ErrorParams = {}, options?: { cause?: unknown }) {
    super(format(ERRORS[code].message, params), options);
    this.name = 'FragcastError';
    this.code = code;
    this.status = ERRORS[code].status;
    this.params = params;
  }

  /** The JSON body every HTTP error answers with: `{ "error": { code, message } }`. */
  toJSON(): { error: { code: ErrorCode; message: string } } {
    return { error: { code: this.code, message: this.message } };
  }
}

/** Malformed media input; carries the stream-relative byte offset. */
export class MediaError extends FragcastError {
  constructor(code: ErrorCode & `MEDIA_${string}`, params: ErrorParams = {}) {
    super(code, params);
    this.name = 'MediaError';
  }
}

/** A configuration file with problems: every one of them, each with its key path. */
export class ConfigError extends FragcastError {
  readonly issues: readonly { readonly path: string; readonly message: string }[];

  constructor(file: string, issues: readonly { readonly path: string; readonly message: string }[]) {
    const list = issues.map((issue) => `  ${issue.path ? `${issue.path}: ` : ''}${issue.message}`).join('\n');
    super('CONFIG_INVALID', { file, count: issues.length, list });
    this.name = 'ConfigError';
    this.issues = issues;
  }

  override toJSON(): { error: { code: ErrorCode; message: string; issues: readonly { path: string; message: string }[] } } {
    return { error: { code: this.code, message: this.message, issues: this.issues } };
  }
}
