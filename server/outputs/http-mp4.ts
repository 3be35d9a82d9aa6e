import type { ErrorCode } from '../errors.ts';
import type { Fragment, InitRecord } from '../streams/fragment.ts';
import type { Stream } from '../streams/stream.ts';
import type { KeyframeGateOptions } from './keyframe-gate.ts';
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
 * uWS keeps whatever a write could not send and reports it only as `false`;
 * the bytes written since then are our estimate of what is buffered, and
 * onWritable (the socket drained) resets it. The estimate errs high, which
 * errs towards skipping rather than towards unbounded memory.
 */
export class HttpMp4Session extends ViewerSession {
  readonly output = 'http-mp4' as const;
  readonly #res: HttpStreamTransport;
  #congested = false;
  #backlogBytes = 0;

  constructor(res: HttpStreamTransport, stream: Stream, remoteAddress: string, gate?: Partial<KeyframeGateOptions>) {
    super(stream, remoteAddress, gate);
    this.#res = res;
    res.onWritable(() => {
      this.#congested = false;
      this.#backlogBytes = 0;
      return true;
    });
  }

  protected bufferedBytes(): number {
    return this.#backlogBytes;
  }

  protected corked(work: () => void): void {
    this.#res.cork(work);
  }

  protected write(fragment: Fragment): void {
    this.#send(fragment.bytes);
  }

  protected writeInit(init: InitRecord): boolean {
    if (this.sentGeneration !== 0) return false;
    this.#send(init.bytes);
    return true;
  }

  protected endTransport(reason: ErrorCode): void {
    this.#res.cork(() => {
      if (reason === 'VIEWER_TOO_SLOW') this.#res.close();
      else this.#res.end();
    });
  }

  #send(bytes: Buffer): void {
    const ok = this.#res.write(bytes);
    if (!ok || this.#congested) {
      this.#congested = true;
      this.#backlogBytes += bytes.length;
    }
  }
}
