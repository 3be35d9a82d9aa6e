import { mkdtempSync, rmSync } from 'node:fs';
import { open, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../../logger.ts';
import type { HlsOptions } from './options.ts';
import type { HlsSegment } from './segment.ts';

interface Stored {
  readonly segment: HlsSegment;
  /** The whole segment, while it is in memory. */
  bytes: Buffer | undefined;
  /** Its file once written to the spill directory. */
  file: string | undefined;
  writing: boolean;
}

export interface DvrStats {
  readonly segments: number;
  readonly seconds: number;
  readonly memoryBytes: number;
  readonly spillBytes: number;
  /** Segments dropped before the window's time was up, for want of memory or disk. */
  readonly droppedEarly: number;
}

/**
 * The complete segments of one stream's DVR window, oldest first, with
 * consecutive media sequence numbers. Bounded three ways: in seconds (the
 * window), in bytes of memory (past it the oldest segments are written to
 * the spill directory, or dropped when there is none), and in bytes on disk.
 *
 * Spill files live in a directory the store makes for itself
 * (`SPILLDIR/STREAM-xxxxxx/MSN.m4s`) and removes on close: file names come
 * from fragcast's numbers, never from a request.
 */
export class DvrStore {
  readonly #options: HlsOptions;
  readonly #label: string;
  readonly #log: Logger;
  readonly #items: Stored[] = [];
  readonly #segments: HlsSegment[] = [];
  #duration = 0;
  #memoryBytes = 0;
  #spillBytes = 0;
  #discontinuitySequence = 0;
  #droppedEarly = 0;
  /** Seconds the timeline needs kept whatever the window says (3 target durations). */
  #minSeconds = 0;
  #spillDir: string | undefined;
  #spillBroken = false;
  #closed = false;

  /** `label` (a valid stream name) prefixes the spill directory, for operators who look. */
  constructor(options: HlsOptions, label: string, log: Logger) {
    this.#options = options;
    this.#label = label;
    this.#log = log;
  }

  get segments(): readonly HlsSegment[] {
    return this.#segments;
  }

  /** EXT-X-DISCONTINUITY-SEQUENCE: discontinuities that left the window. */
  get discontinuitySequence(): number {
    return this.#discontinuitySequence;
  }

  get stats(): DvrStats {
    return {
      segments: this.#items.length,
      seconds: this.#duration,
      memoryBytes: this.#memoryBytes,
      spillBytes: this.#spillBytes,
      droppedEarly: this.#droppedEarly,
    };
  }

  /** Appends a complete segment (its bytes are the concatenation of its parts), then evicts. `minSeconds` is never cut into. */
  add(segment: HlsSegment, bytes: Buffer, minSeconds: number): void {
    if (this.#closed) return;
    this.#items.push({ segment, bytes, file: undefined, writing: false });
    this.#segments.push(segment);
    this.#duration += segment.duration;
    this.#memoryBytes += bytes.length;
    this.#minSeconds = minSeconds;
    this.#evict();
  }

  find(msn: number): HlsSegment | undefined {
    return this.#item(msn)?.segment;
  }

  /**
   * Bytes of segment `msn` (or the range of one of its parts): a view of the
   * memory copy, or read from its spill file. Undefined when the segment left
   * the window, also while the read was under way.
   */
  async read(msn: number, offset = 0, size?: number): Promise<Buffer | undefined> {
    const item = this.#item(msn);
    if (!item) return undefined;
    const length = size ?? item.segment.size - offset;
    if (item.bytes) return item.bytes.subarray(offset, offset + length);
    if (!item.file) return undefined;
    let handle;
    try {
      handle = await open(item.file, 'r');
      const out = Buffer.allocUnsafeSlow(length);
      const { bytesRead } = await handle.read(out, 0, length, offset);
      return bytesRead === length ? out : undefined;
    } catch {
      return undefined;
    } finally {
      await handle?.close();
    }
  }

  /** Drops everything and removes the spill directory. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#items.length = 0;
    this.#segments.length = 0;
    this.#memoryBytes = 0;
    if (this.#spillDir) rmSync(this.#spillDir, { recursive: true, force: true });
  }

  #item(msn: number): Stored | undefined {
    const first = this.#items[0];
    return first ? this.#items[msn - first.segment.msn] : undefined;
  }

  #evict(): void {
    const { windowSeconds, maxMemoryBytes, maxSpillBytes } = this.#options;
    const keep = Math.max(windowSeconds, this.#minSeconds);
    while (this.#items.length > 1 && this.#duration - this.#items[0]!.segment.duration >= keep) this.#dropOldest(false);
    if (this.#memoryBytes > maxMemoryBytes) this.#spillOrDrop();
    while (this.#spillBytes > maxSpillBytes && this.#items.length > 1) this.#dropOldest(true);
  }

  /**
   * Memory is over its bound. With a spill directory the oldest in-memory
   * segment is written out (one write at a time; its memory goes when the
   * write completes). Without one, or when writes fall so far behind that
   * memory reaches twice the bound, the oldest segments are dropped.
   */
  #spillOrDrop(): void {
    const max = this.#options.maxMemoryBytes;
    const spilling = this.#options.spillDir !== undefined && !this.#spillBroken;
    if (spilling && !this.#items.some((item) => item.writing)) {
      const next = this.#items.find((item) => item.bytes && !item.file);
      if (next) void this.#spill(next);
    }
    const bound = spilling ? 2 * max : max;
    while (this.#memoryBytes > bound && this.#items.length > 1) this.#dropOldest(true);
  }

  async #spill(item: Stored): Promise<void> {
    item.writing = true;
    let file;
    try {
      file = join(this.#ensureSpillDir(), `${item.segment.msn}.m4s`);
      await writeFile(file, item.bytes!, { flag: 'wx' });
    } catch (error) {
      this.#spillBroken = true;
      this.#log.error({ err: error, dir: this.#options.spillDir }, 'cannot write to the HLS spill directory; old segments will be dropped instead');
      item.writing = false;
      return;
    }
    item.writing = false;
    if (this.#closed || !this.#items.includes(item)) {
      void unlink(file).catch(() => {});
      return;
    }
    item.file = file;
    this.#memoryBytes -= item.bytes!.length;
    this.#spillBytes += item.segment.size;
    item.bytes = undefined;
    this.#evict();
  }

  #ensureSpillDir(): string {
    this.#spillDir ??= mkdtempSync(join(this.#options.spillDir!, `${this.#label}-`));
    return this.#spillDir;
  }

  #dropOldest(early: boolean): void {
    const item = this.#items.shift()!;
    this.#segments.shift();
    this.#duration -= item.segment.duration;
    if (item.bytes) this.#memoryBytes -= item.bytes.length;
    if (item.file) {
      this.#spillBytes -= item.segment.size;
      void unlink(item.file).catch(() => {});
    }
    // RFC 8216bis §6.2.2: the discontinuity sequence counts the EXT-X-DISCONTINUITY tags that left the playlist.
    if (item.segment.discontinuity) this.#discontinuitySequence++;
    if (early) this.#droppedEarly++;
  }
}
