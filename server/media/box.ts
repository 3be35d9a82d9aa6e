/**
 * ISO BMFF (ISO/IEC 14496-12) box primitives shared by the splitter and the
 * parsers. Pure functions over Buffers; no I/O, no allocation beyond views.
 */

/** Largest box fragcast accepts. A 4K keyframe is a few MiB; 64 MiB is far beyond any sane fragment. */
export const MAX_BOX_SIZE = 64 * 1024 * 1024;

export interface BoxHeader {
  /** Four-character type, e.g. "moof". */
  readonly type: string;
  /** Whole box size in bytes, header included. */
  readonly size: number;
  /** 8, or 16 with a 64-bit largesize (§4.2.2). */
  readonly headerSize: number;
}

/** A four-character code is four printable ASCII bytes (§4.2: 'type' is a 32-bit code, printable by convention). */
export function isPrintableType(buf: Uint8Array, at: number): boolean {
  for (let i = at; i < at + 4; i++) {
    const c = buf[i]!;
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

export function typeAt(buf: Buffer, at: number): string {
  return buf.toString('latin1', at, at + 4);
}

/**
 * Reads a box header at `at`. Returns undefined when fewer bytes than the
 * header are available. `size` is returned as declared; callers validate it.
 * size==1 means a 64-bit largesize follows; size==0 ("to end of file") is
 * returned as 0 and is rejected by callers, since a live stream has no end.
 */
export function readBoxHeader(buf: Buffer, at: number, end = buf.length): BoxHeader | undefined {
  if (end - at < 8) return undefined;
  const size32 = buf.readUInt32BE(at);
  const type = typeAt(buf, at + 4);
  if (size32 !== 1) return { type, size: size32, headerSize: 8 };
  if (end - at < 16) return undefined;
  const high = buf.readUInt32BE(at + 8);
  const low = buf.readUInt32BE(at + 12);
  // Anything at or above 2^21 in the high word exceeds Number's exact range; it is over any limit anyway.
  const size = high >= 0x200000 ? Number.MAX_SAFE_INTEGER : high * 0x1_0000_0000 + low;
  return { type, size, headerSize: 16 };
}

export interface ChildBox {
  readonly type: string;
  /** Offset of the box's first byte within the parent buffer. */
  readonly start: number;
  /** Offset of the payload (after header). */
  readonly payload: number;
  /** Offset one past the box's last byte. */
  readonly end: number;
}

/**
 * Iterates the child boxes in buf[from, to). Throws a plain Error with a
 * description on a child that overruns its parent; parsers wrap it in the
 * right MediaError with context.
 */
export function* childBoxes(buf: Buffer, from: number, to: number): Generator<ChildBox> {
  let at = from;
  while (at < to) {
    const header = readBoxHeader(buf, at, to);
    if (!header) throw new Error(`truncated box header at ${at}`);
    if (header.size < header.headerSize) throw new Error(`box "${header.type}" at ${at} has size ${header.size}`);
    const end = at + header.size;
    if (end > to) throw new Error(`box "${header.type}" at ${at} (size ${header.size}) overruns its parent`);
    yield { type: header.type, start: at, payload: at + header.headerSize, end };
    at = end;
  }
}

/** First child of a given type, or undefined. */
export function findChild(buf: Buffer, from: number, to: number, type: string): ChildBox | undefined {
  for (const child of childBoxes(buf, from, to)) if (child.type === type) return child;
  return undefined;
}

/** Reads a 64-bit unsigned integer as a Number (exact below 2^53, which covers ~285 years at 1 MHz). */
export function readUInt64(buf: Buffer, at: number): number {
  return buf.readUInt32BE(at) * 0x1_0000_0000 + buf.readUInt32BE(at + 4);
}

/** NTP epoch (1900-01-01) to Unix epoch (1970-01-01), in seconds (RFC 5905 §6). */
const NTP_UNIX_OFFSET_S = 2_208_988_800;

/** Converts a 64-bit NTP timestamp (32.32 fixed point) to Unix milliseconds. */
export function ntpToUnixMs(buf: Buffer, at: number): number {
  const seconds = buf.readUInt32BE(at);
  const fraction = buf.readUInt32BE(at + 4);
  return (seconds - NTP_UNIX_OFFSET_S) * 1000 + (fraction / 0x1_0000_0000) * 1000;
}
