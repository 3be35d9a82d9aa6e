import { MediaError } from '../errors.ts';
import { isPrintableType, MAX_BOX_SIZE, readBoxHeader } from './box.ts';

export interface SplitBox {
  readonly type: string;
  /** The whole box, header included. A view: copy it before keeping it past the callback's caller. */
  readonly bytes: Buffer;
  /** Offset of the box's first byte in the input stream. */
  readonly offset: number;
}

/**
 * Incremental splitter of top-level ISO BMFF boxes. Feed it arbitrary chunks;
 * it yields whole boxes, identical for any chunking of the same input.
 *
 * Memory: it holds at most one incomplete box, and a box may not exceed
 * MAX_BOX_SIZE, so its buffer is bounded whatever the input does. A box that
 * arrives whole inside one chunk is yielded as a view (no copy); only a box
 * that straddles chunks is copied, once, when its last byte arrives.
 *
 * After a MediaError the splitter is failed and must be reset.
 */
export class BoxSplitter {
  #parts: Buffer[] = [];
  #partsBytes = 0;
  /** Size of the box being assembled from #parts, or 0 while its header is incomplete. */
  #need = 0;
  /** Stream offset of #parts[0]'s first byte (or of the next chunk when #parts is empty). */
  #offset = 0;
  #failed: MediaError | undefined;
  readonly #maxBoxSize: number;

  constructor(options: { maxBoxSize?: number } = {}) {
    this.#maxBoxSize = options.maxBoxSize ?? MAX_BOX_SIZE;
  }

  /** Bytes received but not yet yielded as a box. */
  get pendingBytes(): number {
    return this.#partsBytes;
  }

  /** Total bytes consumed so far, yielded or pending. */
  get bytesIn(): number {
    return this.#offset + this.#partsBytes;
  }

  reset(): void {
    this.#parts = [];
    this.#partsBytes = 0;
    this.#need = 0;
    this.#offset = 0;
    this.#failed = undefined;
  }

  /** Feeds a chunk; calls onBox for each box it completes, in order. Throws MediaError on malformed input. */
  push(chunk: Buffer, onBox: (box: SplitBox) => void): void {
    if (this.#failed) throw this.#failed;
    if (chunk.length === 0) return;
    if (this.#partsBytes === 0) {
      this.#scan(chunk, onBox);
      return;
    }
    this.#parts.push(chunk);
    this.#partsBytes += chunk.length;
    if (this.#need !== 0 && this.#partsBytes < this.#need) return;
    // Either the pending box is now complete, or its header may be: flatten once and rescan.
    const joined = Buffer.concat(this.#parts, this.#partsBytes);
    this.#parts = [];
    this.#partsBytes = 0;
    this.#need = 0;
    this.#scan(joined, onBox);
  }

  /** Declares the end of input; throws MEDIA_TRUNCATED if a box is incomplete. */
  end(): void {
    if (this.#failed || this.#partsBytes === 0) return;
    const joined = Buffer.concat(this.#parts, this.#partsBytes);
    const type = joined.length >= 8 ? joined.toString('latin1', 4, 8) : '?';
    const size = this.#need || (joined.length >= 4 ? joined.readUInt32BE(0) : '?');
    throw this.#fail(new MediaError('MEDIA_TRUNCATED', { type, have: joined.length, size }));
  }

  #scan(buf: Buffer, onBox: (box: SplitBox) => void): void {
    let at = 0;
    while (true) {
      const header = readBoxHeader(buf, at);
      if (!header) break;
      const offset = this.#offset + at;
      this.#validate(buf, at, header.type, header.size, header.headerSize, offset);
      if (buf.length - at < header.size) {
        this.#need = header.size;
        break;
      }
      onBox({ type: header.type, bytes: buf.subarray(at, at + header.size), offset });
      at += header.size;
    }
    this.#offset += at;
    if (at < buf.length) {
      this.#parts.push(at === 0 ? buf : buf.subarray(at));
      this.#partsBytes = buf.length - at;
    }
  }

  #validate(buf: Buffer, at: number, type: string, size: number, headerSize: number, offset: number): void {
    if (!isPrintableType(buf, at + 4)) {
      throw this.#fail(new MediaError('MEDIA_BOX_TYPE_INVALID', { offset, type: `0x${buf.toString('hex', at + 4, at + 8)}` }));
    }
    if (size < headerSize) throw this.#fail(new MediaError('MEDIA_BOX_TOO_SMALL', { type, offset, size }));
    if (size > this.#maxBoxSize) {
      throw this.#fail(new MediaError('MEDIA_BOX_TOO_LARGE', { type, offset, size, limit: this.#maxBoxSize }));
    }
  }

  #fail(error: MediaError): MediaError {
    this.#failed = error;
    this.#parts = [];
    this.#partsBytes = 0;
    return error;
  }
}
