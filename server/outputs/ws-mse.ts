import { ERRORS, FragcastError, type ErrorCode } from '../errors.ts';
import { PROTOCOL_VERSION, type InitMessage, type KeyframeMessage, type ServerMessage } from '../protocol.ts';
import type { Fragment, InitRecord } from '../streams/fragment.ts';
import { describeMarker, type Marker } from '../streams/markers.ts';
import type { Stream } from '../streams/stream.ts';
import type { KeyframeGateOptions } from './keyframe-gate.ts';
import { TokenBucket } from '../token-bucket.ts';
import { SendQueue } from './send-queue.ts';
import { ViewerSession } from './viewer-session.ts';

/** The part of a uWS WebSocket this output uses (uWS's WebSocket satisfies it; tests may pass a fake). */
export interface WsTransport {
  send(message: Uint8Array | string, isBinary?: boolean): number;
  sendFirstFragment(message: Uint8Array, isBinary?: boolean): boolean;
  sendFragment(message: Uint8Array): boolean;
  sendLastFragment(message: Uint8Array): boolean;
  getBufferedAmount(): number;
  end(code?: number, shortMessage?: string): void;
}

/** uWS v20.30's cork buffer (its LoopData::CORK_BUFFER_SIZE). */
const UWS_CORK_BUFFER_BYTES = 16 * 1024;
/** A server frame's header for a payload of 126-65,535 bytes (RFC 6455 §5.2: 2 bytes, then a 16-bit length). */
const FRAME_HEADER_BYTES = 4;
/** The largest payload whose frame uWS writes through its cork buffer: it wants the frame strictly smaller than the buffer. */
export const MAX_CORKABLE_PAYLOAD = UWS_CORK_BUFFER_BYTES - FRAME_HEADER_BYTES - 1;
/** From this payload size up, uWS writes a message on a plain socket straight from the caller's buffer (WebSocket::send). */
const UWS_UNCOPIED_MIN_PAYLOAD = 16 * 1024;

/**
 * Sends one binary message without making uWS grow the socket's own buffer.
 *
 * uWS v20.30 writes a message in one of three ways: a frame that fits its
 * cork buffer through that buffer; on a plain socket, a payload of
 * UWS_UNCOPIED_MIN_PAYLOAD or more straight from the caller's buffer (one
 * writev), when the socket holds nothing and no other socket holds the cork
 * (SendQueue and AfterHandler see to both); anything else into a buffer of
 * the socket's own, grown to the message's size and never shrunk. Two kinds
 * of message take that third way even on an idle socket: a payload of
 * 16,380-16,383 bytes (too big for the cork buffer with its header, too small
 * for the straight path), and over TLS everything above MAX_CORKABLE_PAYLOAD.
 * Those go as one message in several frames (RFC 6455 §5.4), each small
 * enough for the cork buffer; the viewer receives the same message. What the
 * third way cost, measured: docs/benchmarks.md, "Memory per viewer".
 */
export function sendBinary(ws: WsTransport, bytes: Uint8Array, tls: boolean): void {
  if (bytes.length <= MAX_CORKABLE_PAYLOAD || (!tls && bytes.length >= UWS_UNCOPIED_MIN_PAYLOAD)) {
    ws.send(bytes, true);
    return;
  }
  const frames = Math.ceil(bytes.length / MAX_CORKABLE_PAYLOAD);
  const frameBytes = Math.ceil(bytes.length / frames);
  ws.sendFirstFragment(bytes.subarray(0, frameBytes), true);
  for (let at = frameBytes; at < bytes.length; at += frameBytes) {
    const end = at + frameBytes;
    if (end >= bytes.length) ws.sendLastFragment(bytes.subarray(at));
    else ws.sendFragment(bytes.subarray(at, end));
  }
}

/** Largest text message a viewer may send. Control messages are tiny; anything bigger is abuse. */
export const MAX_VIEWER_MESSAGE_BYTES = 4096;

/** Control messages are averaged over this many seconds: a player's burst (a ping, a mode change) never trips the limit. */
export const VIEWER_MESSAGE_WINDOW_SECONDS = 5;

/** RFC 6455 §5.5: a close frame's payload is at most 125 bytes, 2 of them the code. */
const MAX_CLOSE_REASON_BYTES = 123;

function describeInit(stream: Stream, init: InitRecord): InitMessage {
  return {
    type: 'init',
    protocol: PROTOCOL_VERSION,
    stream: stream.name,
    generation: init.generation,
    mime: init.info.mime,
    tracks: init.info.tracks.map(({ defaults: _defaults, ...track }) => track),
    serverTime: Date.now(),
  };
}

/**
 * The keyframe stamp is the same for every viewer: encode it once per
 * keyframe. A one-slot memo suffices because the hub hands one batch to all
 * viewers before the next batch exists.
 */
let stampFor: Fragment | undefined;
let stampText = '';
function keyframeStamp(fragment: Fragment): string {
  if (stampFor !== fragment) {
    const message: KeyframeMessage = {
      type: 'keyframe',
      seq: fragment.seq,
      generation: fragment.generation,
      arrivalMs: fragment.arrivalMs,
      decodeTime: fragment.info.decodeTime ?? 0,
    };
    stampText = JSON.stringify(message);
    stampFor = fragment;
  }
  return stampText;
}

/**
 * A WebSocket MSE viewer (docs/protocol.md): an `init` text message and the
 * init segment, then whole-box fragments: a fragment as the very buffer the
 * stream holds, a batch's run as one buffer joined once for every viewer
 * (fragment-runs.ts). While the socket has backpressure, messages wait in a
 * SendQueue (by reference) and go out on uWS's drain, in order.
 *
 * Its sends are never corked, on purpose. uWS writes a message of 16 KB or
 * more (a keyframe, most fragments at 4 Mbit/s) straight from the caller's
 * buffer, header and payload in one writev, only when its cork buffer is
 * empty and the socket holds nothing. Behind anything corked (the keyframe
 * stamp, the previous fragment of a replay) it copies the whole message into
 * a buffer of that socket's own, which it clears but never shrinks: every
 * viewer then kept about two fragments of memory for its whole life.
 * Uncorked, a small message still goes out in one write (uWS corks it
 * itself, unless another socket's handler holds the cork: AfterHandler keeps
 * the fan-out out of those); a keyframe costs one more write for its stamp.
 */
export class WsMseSession extends ViewerSession {
  readonly output = 'ws' as const;
  readonly #ws: WsTransport;
  /** Control messages per second a viewer may send (limits.viewer_messages). */
  readonly #messageRate: number;
  /** The messages it may send: that rate, VIEWER_MESSAGE_WINDOW_SECONDS deep. */
  readonly #messageAllowance: TokenBucket;
  readonly #queue: SendQueue;

  /** Runs the instant start: at once, or later when the transport asks (see start()). */
  readonly #schedule: (work: () => void) => void;

  constructor(
    ws: WsTransport,
    stream: Stream,
    remoteAddress: string,
    options: {
      gate?: Partial<KeyframeGateOptions>;
      messagesPerSecond?: number;
      schedule?: (work: () => void) => void;
      /** The socket is TLS (`listen.tls`): uWS copies every large message there (sendBinary). */
      tls?: boolean;
      /** The session's id when its origin-side twin made one (a fan-out thread's viewer). */
      id?: string;
    } = {},
  ) {
    super(stream, remoteAddress, options.gate, options.id);
    const messagesPerSecond = options.messagesPerSecond ?? 20;
    this.#schedule = options.schedule ?? ((work) => work());
    this.#ws = ws;
    const tls = options.tls ?? false;
    this.#queue = new SendQueue({
      heldBytes: () => ws.getBufferedAmount(),
      send: (message) => {
        if (typeof message === 'string') ws.send(message, false);
        else sendBinary(ws, message, tls);
        return ws.getBufferedAmount() === 0;
      },
    });
    this.#messageRate = messagesPerSecond;
    this.#messageAllowance = new TokenBucket(messagesPerSecond, messagesPerSecond * VIEWER_MESSAGE_WINDOW_SECONDS);
  }

  /** A text or binary message from the viewer. Binary, oversized and too frequent messages end the session with a close code. */
  receive(data: ArrayBuffer, isBinary: boolean): void {
    if (!this.#messageAllowance.take(1)) {
      this.close('WS_MESSAGE_RATE');
      return;
    }
    if (isBinary) {
      this.close('WS_BINARY_FROM_VIEWER');
      return;
    }
    if (data.byteLength > MAX_VIEWER_MESSAGE_BYTES) {
      this.close('WS_MESSAGE_TOO_LARGE');
      return;
    }
    let message: { type?: unknown; id?: unknown };
    try {
      message = JSON.parse(Buffer.from(data).toString('utf8')) as typeof message;
    } catch {
      this.#sendJson({ type: 'error', code: 'INVALID_ARGUMENT', message: 'Control messages are JSON objects with a "type"' });
      return;
    }
    if (message?.type === 'ping') {
      this.#sendJson({ type: 'pong', ...(typeof message.id === 'number' ? { id: message.id } : {}), serverTime: Date.now() });
    }
    // Unknown types are ignored, so that older servers tolerate newer players.
  }

  /**
   * The instant start, then the stream's markers: the page lists them without asking the API. Runs through
   * `schedule`: uWS opens a WebSocket with its 101 response still corked, and whatever is sent behind it is
   * copied (the class comment; http/after-handler.ts).
   */
  override start(): void {
    this.#schedule(() => {
      if (this.closed) return;
      super.start();
      if (this.closed) return;
      for (const marker of this.stream.markers.list()) this.onMarker(marker);
    });
  }

  override onMarker(marker: Marker): void {
    if (this.closed || !this.started) return;
    this.#sendJson({ type: 'marker', ...describeMarker(marker) });
  }

  /**
   * The socket took some of what uWS held for it (uWS's `drain` event, after
   * its own write-out): once uWS holds nothing, what waited goes out.
   */
  drained(): void {
    if (!this.closed) this.#queue.flush();
  }

  protected bufferedBytes(): number {
    return this.#queue.bytes;
  }

  /** Uncorked: see the class comment. */
  protected batched(work: () => void): void {
    work();
  }

  protected write(first: Fragment, bytes: Buffer): void {
    if (first.keyframe) this.#queue.send(keyframeStamp(first));
    this.#queue.send(bytes);
  }

  protected writeInit(init: InitRecord): boolean {
    this.#sendJson(describeInit(this.stream, init));
    this.#queue.send(init.bytes);
    return true;
  }

  protected override onResume(skippedInEpisode: number): void {
    this.#sendJson({ type: 'skip', skipped: skippedInEpisode });
  }

  protected endTransport(reason: ErrorCode): void {
    const error = new FragcastError(reason, {
      stream: this.stream.name,
      limit: MAX_VIEWER_MESSAGE_BYTES,
      seconds: this.gate.options.maxBehindMs / 1000,
      rate: this.#messageRate,
    });
    const text = Buffer.from(error.message).subarray(0, MAX_CLOSE_REASON_BYTES).toString('utf8');
    // What waits is not sent: the close frame goes now, and the references go with the queue.
    this.#queue.clear();
    this.#ws.end(ERRORS[reason].status, text);
  }

  #sendJson(message: ServerMessage): void {
    const text = JSON.stringify(message);
    // A control message answered before the start (a client that pipelined a ping behind its upgrade) still
    // comes after `init` (docs/protocol.md, "Order of messages"): the start was scheduled first.
    if (this.started) this.#queue.send(text);
    else
      this.#schedule(() => {
        if (!this.closed) this.#queue.send(text);
      });
  }
}
