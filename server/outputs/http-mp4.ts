import type { ErrorCode } from '../errors.ts';
import type { Fragment, InitRecord } from '../streams/fragment.ts';
import type { Stream } from '../streams/stream.ts';
import type { KeyframeGateOptions } from './keyframe-gate.ts';
import { SendQueue } from './send-queue.ts';
import { ViewerSession } from './viewer-session.ts';

/** The part of a uWS HttpResponse this output uses, after the status and headers are written. */
export interface HttpStreamTransport {
  /** Writes a chunk (chunked transfer encoding). False: it was buffered because the socket is full. */
  write(chunk: Uint8Array): boolean;
  cork(work: () => void): unknown;
  /** Ends the body (the terminating zero-length chunk). */
  end(): unknown;
  /** Drops the connection at once. */
  close(): unknown;
  onWritable(handler: (offset: number) => boolean): unknown;
}

/** An empty `free` box (ISO/IEC 14496-12 §8.1.2): every MP4 reader skips it. */
const FREE_BOX = Buffer.from([0, 0, 0, 8, 0x66, 0x72, 0x65, 0x65]);

/** Response headers of `live.mp4`, for GET and HEAD alike. */
export const LIVE_MP4_HEADERS: readonly (readonly [string, string])[] = Object.freeze([
  ['Content-Type', 'video/mp4'],
  ['Cache-Control', 'no-store'],
  // A live body has no length: players must not try to seek in it.
  ['Accept-Ranges', 'none'],
]);

/**
 * A chunked `live.mp4` viewer: one fragmented MP4 body (init, the newest GOP,
 * then live fragments). A new init cannot be carried inside one MP4 file, so
 * it ends the response and the player reconnects.
 *
 * uWS keeps whatever a write could not send and reports it only as `false`.
 * From then until onWritable (the socket drained), chunks wait in a SendQueue
 * by reference, so uWS holds at most the one chunk it was part-way through;
 * the gate sees that chunk's size plus what waits (an estimate that errs
 * high, towards skipping rather than towards memory).
 */
export class HttpMp4Session extends ViewerSession {
  readonly output = 'http-mp4' as const;
  readonly #res: HttpStreamTransport;
  /** Bytes of the chunk uWS is holding since a write returned false; 0 when the socket took everything. */
  #heldBytes = 0;
  readonly #queue = new SendQueue({ heldBytes: () => this.#heldBytes, send: (chunk) => this.#write(chunk as Buffer) });
  readonly #flushQueue = (): void => this.#queue.flush();
  readonly #nudge = (): void => {
    this.#write(FREE_BOX);
  };

  /** `id`: the one its origin-side twin got, for a fan-out thread's viewer. */
  constructor(res: HttpStreamTransport, stream: Stream, remoteAddress: string, gate?: Partial<KeyframeGateOptions>, id?: string) {
    super(stream, remoteAddress, gate, id);
    this.#res = res;
    // With onWritable set, uWS writes out what it holds when we write again: the first queued chunk does
    // that, or, with nothing queued, an 8-byte `free` box, so that the tail of a fragment does not wait
    // for the next one (or for ever, if the stream pauses).
    res.onWritable(() => {
      this.#heldBytes = 0;
      if (!this.closed) this.#res.cork(this.#queue.empty ? this.#nudge : this.#flushQueue);
      return true;
    });
  }

  protected bufferedBytes(): number {
    return this.#queue.bytes;
  }

  protected batched(work: () => void): void {
    this.#res.cork(work);
  }

  protected write(_first: Fragment, bytes: Buffer): void {
    this.#queue.send(bytes);
  }

  protected writeInit(init: InitRecord): boolean {
    if (this.sentGeneration !== 0) return false;
    this.#queue.send(init.bytes);
    return true;
  }

  protected endTransport(reason: ErrorCode): void {
    this.#queue.clear();
    this.#res.cork(() => {
      if (reason === 'VIEWER_TOO_SLOW') this.#res.close();
      else this.#res.end();
    });
  }

  /** Returns whether the socket took the whole chunk. */
  #write(bytes: Buffer): boolean {
    if (this.#res.write(bytes)) return true;
    this.#heldBytes = bytes.length;
    return false;
  }
}
