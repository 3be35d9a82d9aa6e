import { MediaError } from '../errors.ts';
import { BoxSplitter, type SplitBox } from './box-splitter.ts';
import { parseMoof } from './fragment-parser.ts';
import { parseInit } from './init-parser.ts';
import type { FragmentInfo, InitInfo } from './types.ts';

export interface InitSegment {
  /** `ftyp` + `moov`, in one buffer of its own. */
  readonly bytes: Buffer;
  readonly info: InitInfo;
}

export interface ParsedFragment {
  /** The boxes that precede the `moof` (styp, prft, emsg…), the `moof` and its `mdat`: whole boxes, one buffer. */
  readonly bytes: Buffer;
  readonly info: FragmentInfo;
}

export type ReaderOutput = { readonly kind: 'init'; readonly init: InitSegment } | { readonly kind: 'fragment'; readonly fragment: ParsedFragment };

/** Boxes allowed before a `moof` and kept with its fragment (§8.16 styp/sidx/prft, DASH emsg). */
const FRAGMENT_PREFIX_TYPES = new Set(['styp', 'sidx', 'ssix', 'prft', 'emsg']);
/** Top-level boxes with nothing for a live viewer (§8.1.2 free/skip, §8.8.9 mfra, meta/udta at file level). */
const IGNORED_TYPES = new Set(['free', 'skip', 'mfra', 'meta', 'udta', 'uuid', 'pdin']);
/** Bound on the boxes buffered before a `moof`: a source that never sends one cannot grow memory. */
const MAX_PREFIX_BYTES = 1024 * 1024;

/** Copies parts into one exact-size buffer. allocUnsafeSlow: no pooled 8 KiB slab is kept alive by a small cached fragment. */
function joinExact(parts: readonly Buffer[]): Buffer {
  let total = 0;
  for (const part of parts) total += part.length;
  const out = Buffer.allocUnsafeSlow(total);
  let at = 0;
  for (const part of parts) at += part.copy(out, at);
  return out;
}

/**
 * Turns an fMP4 byte stream into init segments and fragments.
 *
 * A stream is `ftyp moov` then any number of `[styp|prft|emsg…]* moof mdat`;
 * a later `ftyp`/`moov` starts a new init (e.g. a publisher that reconnects).
 * Chunks must not be mutated after push: incomplete boxes are kept by reference.
 * Throws MediaError on malformed input; after that, reset() before reuse.
 */
export class Fmp4Reader {
  readonly #splitter: BoxSplitter;
  #ftyp: Buffer | undefined;
  #init: InitInfo | undefined;
  #prefix: SplitBox[] = [];
  #prefixBytes = 0;
  #moof: { box: SplitBox; info: FragmentInfo } | undefined;

  constructor(options: { maxBoxSize?: number } = {}) {
    this.#splitter = new BoxSplitter(options);
  }

  get init(): InitInfo | undefined {
    return this.#init;
  }

  get bytesIn(): number {
    return this.#splitter.bytesIn;
  }

  /** Bytes held for incomplete boxes and for the boxes of a fragment not yet complete. */
  get pendingBytes(): number {
    return this.#splitter.pendingBytes + this.#prefixBytes + (this.#moof?.box.bytes.length ?? 0);
  }

  reset(): void {
    this.#splitter.reset();
    this.#ftyp = undefined;
    this.#init = undefined;
    this.#clearFragment();
  }

  push(chunk: Buffer, out: (output: ReaderOutput) => void): void {
    this.#splitter.push(chunk, (box) => this.#onBox(box, out));
  }

  /** Declares the end of input: throws MEDIA_TRUNCATED when a box or a moof without mdat is left over. */
  end(): void {
    this.#splitter.end();
    if (this.#moof) {
      throw new MediaError('MEDIA_TRUNCATED', { type: 'mdat', have: 0, size: 'unknown' });
    }
  }

  #onBox(box: SplitBox, out: (output: ReaderOutput) => void): void {
    switch (box.type) {
      case 'ftyp':
        this.#expectNoMoof(box);
        // Copy: the box may be a view into a chunk that the caller lets go of.
        this.#ftyp = Buffer.from(box.bytes);
        this.#clearFragment();
        return;
      case 'moov': {
        this.#expectNoMoof(box);
        const bytes = joinExact(this.#ftyp ? [this.#ftyp, box.bytes] : [box.bytes]);
        const info = parseInit(bytes, this.#ftyp?.length ?? 0);
        this.#init = info;
        this.#ftyp = undefined;
        this.#clearFragment();
        out({ kind: 'init', init: { bytes, info } });
        return;
      }
      case 'moof': {
        if (!this.#init) throw new MediaError('MEDIA_FRAGMENT_BEFORE_INIT', { offset: box.offset });
        this.#expectNoMoof(box);
        const prft = this.#prefix.findLast((p) => p.type === 'prft');
        // Copy the moof now: it is small, and its chunk may be gone when the mdat completes.
        const own = { ...box, bytes: Buffer.from(box.bytes) };
        this.#moof = { box: own, info: parseMoof(own.bytes, prft?.bytes, this.#init, box.offset) };
        return;
      }
      case 'mdat': {
        if (!this.#moof) throw new MediaError('MEDIA_BOX_UNEXPECTED', { type: 'mdat', offset: box.offset, why: 'mdat without a moof before it' });
        const bytes = joinExact([...this.#prefix.map((p) => p.bytes), this.#moof.box.bytes, box.bytes]);
        const info = this.#moof.info;
        this.#clearFragment();
        out({ kind: 'fragment', fragment: { bytes, info } });
        return;
      }
      default:
        if (FRAGMENT_PREFIX_TYPES.has(box.type)) {
          this.#expectNoMoof(box);
          this.#prefixBytes += box.bytes.length;
          if (this.#prefixBytes > MAX_PREFIX_BYTES) {
            throw new MediaError('MEDIA_BOX_UNEXPECTED', {
              type: box.type,
              offset: box.offset,
              why: `more than ${MAX_PREFIX_BYTES} bytes of boxes without a moof`,
            });
          }
          this.#prefix.push({ ...box, bytes: Buffer.from(box.bytes) });
          return;
        }
        if (IGNORED_TYPES.has(box.type)) {
          this.#expectNoMoof(box);
          return;
        }
        throw new MediaError('MEDIA_BOX_UNEXPECTED', { type: box.type, offset: box.offset, why: 'not a box of a fragmented MP4 stream' });
    }
  }

  #expectNoMoof(box: SplitBox): void {
    if (this.#moof) {
      throw new MediaError('MEDIA_BOX_UNEXPECTED', { type: box.type, offset: box.offset, why: 'expected the mdat of the preceding moof' });
    }
  }

  #clearFragment(): void {
    this.#prefix = [];
    this.#prefixBytes = 0;
    this.#moof = undefined;
  }
}
