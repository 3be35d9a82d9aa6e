import { createFile, Log, MP4BoxBuffer, type Movie } from 'mp4box';
import { MediaError } from '../errors.ts';
import { childBoxes, findChild } from './box.ts';
import type { InitInfo, TrackDefaults, TrackInfo, TrackKind } from './types.ts';

// Below error level, mp4box can be told to be quiet; error level itself is handled in movieOf().
Log.setLogLevel(Log.error);

const NO_DEFAULTS: TrackDefaults = { sampleDuration: 0, sampleSize: 0, sampleFlags: 0 };

/**
 * Reads `mvex/trex` (§8.8.3): per-track defaults that fragments may omit.
 * fragcast reads these itself because mp4box does not expose them in its
 * track info, and the keyframe flag of a fragment can depend on them.
 */
function readTrackDefaults(moov: Buffer): Map<number, TrackDefaults> {
  const defaults = new Map<number, TrackDefaults>();
  const mvex = findChild(moov, 8, moov.length, 'mvex');
  if (!mvex) return defaults;
  for (const box of childBoxes(moov, mvex.payload, mvex.end)) {
    if (box.type !== 'trex') continue;
    // FullBox header (4), track_ID, default_sample_description_index, duration, size, flags.
    if (box.end - box.payload < 24) throw new Error('trex box is shorter than 24 bytes');
    const p = box.payload + 4;
    defaults.set(moov.readUInt32BE(p), {
      sampleDuration: moov.readUInt32BE(p + 8),
      sampleSize: moov.readUInt32BE(p + 12),
      sampleFlags: moov.readUInt32BE(p + 16),
    });
  }
  return defaults;
}

/**
 * What fragcast gives mp4box of a moov: at each level, the boxes it needs
 * to describe the tracks (ISO/IEC 14496-12 §8.1-8.8), nothing else. The
 * viewers get the init as it came; mp4box gets this pruned copy, so its
 * parsers of everything else (meta, udta, edit lists, sample groups…) never
 * see hostile bytes. The sample entries under stsd are kept whole (their
 * codec configuration is what mp4box is for).
 */
const KEPT_IN: Record<string, ReadonlySet<string>> = {
  moov: new Set(['mvhd', 'trak', 'mvex']),
  trak: new Set(['tkhd', 'mdia']),
  mdia: new Set(['mdhd', 'hdlr', 'minf']),
  minf: new Set(['vmhd', 'smhd', 'nmhd', 'sthd', 'hmhd', 'dinf', 'stbl']),
  dinf: new Set(['dref']),
  stbl: new Set(['stsd', 'stts', 'stsc', 'stsz', 'stz2', 'stco', 'co64', 'stss', 'ctts']),
  mvex: new Set(['mehd', 'trex']),
};

/**
 * No table in the moov of a fragmented stream needs more entries than this:
 * its samples come in moofs (ffmpeg's empty_moov writes none). mp4box makes
 * one object per declared entry, for stsz with a constant size without
 * reading a byte per entry: a forged count of 0xff00ffff there grew an
 * array until V8 aborted the process (fuzz seed 33).
 */
export const MAX_TABLE_ENTRIES = 4096;

interface TableLayout {
  /** Offset of the entry count within the payload (after the FullBox version and flags). */
  readonly countAt: number;
  /** Bytes per entry (may be 0: entries mp4box makes without reading any). */
  readonly entryBytes: number;
}

/** Where each kept table has its count, and how big its entries are; `p` is the payload offset. */
const TABLES: Record<string, (buf: Buffer, p: number, end: number) => TableLayout | undefined> = {
  stts: () => ({ countAt: 4, entryBytes: 8 }),
  ctts: () => ({ countAt: 4, entryBytes: 8 }),
  stsc: () => ({ countAt: 4, entryBytes: 12 }),
  stco: () => ({ countAt: 4, entryBytes: 4 }),
  co64: () => ({ countAt: 4, entryBytes: 8 }),
  stss: () => ({ countAt: 4, entryBytes: 4 }),
  stsd: () => ({ countAt: 4, entryBytes: 8 }),
  dref: () => ({ countAt: 4, entryBytes: 8 }),
  // sample_size (4), then sample_count; sizes follow only when sample_size is 0.
  stsz: (buf, p, end) => (end - p >= 8 ? { countAt: 8, entryBytes: buf.readUInt32BE(p + 4) === 0 ? 4 : 0 } : undefined),
  // reserved (3) and field_size (1), then sample_count; field_size is 4, 8 or 16 bits.
  stz2: (buf, p, end) => (end - p >= 8 ? { countAt: 8, entryBytes: buf[p + 7]! / 8 } : undefined),
};

/**
 * The moov (whose box starts at `at`) with only the KEPT_IN boxes, sizes
 * rewritten. Checks on the way that every child fits its parent and that
 * every table's entry count is within MAX_TABLE_ENTRIES and fits in its box.
 * Throws a plain Error naming the box.
 */
function prunedMoov(buf: Buffer, at: number, end: number): Buffer {
  const prune = (type: string, start: number, payload: number, stop: number, depth: number): Buffer => {
    const kept = KEPT_IN[type];
    if (!kept) {
      checkTable(buf, type, payload, stop);
      return buf.subarray(start, stop);
    }
    if (depth > 8) throw new Error('boxes nested too deep');
    const children: Buffer[] = [];
    for (const child of childBoxes(buf, payload, stop)) {
      if (kept.has(child.type)) children.push(prune(child.type, child.start, child.payload, child.end, depth + 1));
    }
    const header = Buffer.alloc(8);
    header.writeUInt32BE(8 + children.reduce((sum, child) => sum + child.length, 0));
    header.write(type, 4, 'latin1');
    return Buffer.concat([header, ...children]);
  };
  const header = childBoxes(buf, at, end).next().value;
  if (!header || header.type !== 'moov') throw new Error('expected a moov box');
  return prune('moov', header.start, header.payload, header.end, 0);
}

function checkTable(buf: Buffer, type: string, payload: number, end: number): void {
  const layoutOf = TABLES[type];
  if (!layoutOf) return;
  const layout = layoutOf(buf, payload, end);
  const room = end - payload - (layout?.countAt ?? 0) - 4;
  if (!layout || room < 0) throw new Error(`"${type}" box is too short`);
  const count = buf.readUInt32BE(payload + layout.countAt);
  if (count > MAX_TABLE_ENTRIES) throw new Error(`"${type}" declares ${count} entries (at most ${MAX_TABLE_ENTRIES} in a fragmented stream's moov)`);
  if (count * layout.entryBytes > room) throw new Error(`"${type}" declares ${count} entries in ${room} bytes`);
}

function kindOf(type: string | undefined): TrackKind {
  return type === 'video' || type === 'audio' ? type : 'other';
}

/**
 * Runs mp4box on the init. mp4box writes parse trouble to the console, at
 * error level for mangled boxes, and cannot be told to stop: a hostile 700-byte
 * moov made it print for 4.5 s (fuzz seed 1, iteration 372). The console is
 * muted for the duration of this synchronous call, and mp4box's first
 * complaint becomes the error fragcast reports.
 */
function movieOf(init: Buffer): Movie | undefined {
  const file = createFile();
  let movie: Movie | undefined;
  let failure: string | undefined;
  file.onReady = (info) => {
    movie = info;
  };
  file.onError = (module, message) => {
    failure ??= `${module}: ${message}`;
  };
  const saved = { debug: console.debug, info: console.info, warn: console.warn, error: console.error, log: console.log };
  const complain = (...args: unknown[]): void => {
    // mp4box logs "[time]", "[module]", message.
    failure ??= args.slice(1).map(String).join(' ');
  };
  console.debug = console.info = console.log = () => {};
  console.warn = console.error = complain;
  try {
    // mp4box wants an ArrayBuffer of its own (it tags it with fileStart); this copies only the small init.
    const copy = init.buffer.slice(init.byteOffset, init.byteOffset + init.byteLength);
    file.appendBuffer(MP4BoxBuffer.fromArrayBuffer(copy, 0));
    file.flush();
  } finally {
    Object.assign(console, saved);
  }
  if (failure) throw new Error(failure);
  return movie;
}

/**
 * Parses an init segment (`ftyp` + `moov`, passed as one buffer whose moov
 * starts at `moovOffset`) into typed track facts. Throws MEDIA_INIT_INVALID.
 */
export function parseInit(init: Buffer, moovOffset: number): InitInfo {
  let movie: Movie | undefined;
  let trackDefaults: Map<number, TrackDefaults>;
  try {
    movie = movieOf(Buffer.concat([init.subarray(0, moovOffset), prunedMoov(init, moovOffset, init.length)]));
    trackDefaults = readTrackDefaults(init.subarray(moovOffset));
  } catch (error) {
    throw new MediaError('MEDIA_INIT_INVALID', { why: (error as Error).message });
  }
  if (!movie) throw new MediaError('MEDIA_INIT_INVALID', { why: 'moov could not be read' });
  if (movie.tracks.length === 0) throw new MediaError('MEDIA_INIT_INVALID', { why: 'moov has no tracks' });
  if (!movie.isFragmented) throw new MediaError('MEDIA_INIT_INVALID', { why: 'moov has no mvex: the stream is not fragmented' });

  const tracks: TrackInfo[] = movie.tracks.map((track) => {
    const kind = kindOf(track.type);
    if (!track.codec) throw new MediaError('MEDIA_INIT_INVALID', { why: `track ${track.id} has no codec` });
    if (!(track.timescale > 0)) throw new MediaError('MEDIA_INIT_INVALID', { why: `track ${track.id} has timescale 0` });
    return {
      id: track.id,
      kind,
      codec: track.codec,
      timescale: track.timescale,
      ...(kind === 'video' && track.video ? { width: track.video.width, height: track.video.height } : {}),
      ...(kind === 'audio' && track.audio ? { sampleRate: track.audio.sample_rate, channels: track.audio.channel_count } : {}),
      defaults: trackDefaults.get(track.id) ?? NO_DEFAULTS,
    };
  });
  const playable = tracks.filter((t) => t.kind !== 'other');
  if (playable.length === 0) throw new MediaError('MEDIA_INIT_INVALID', { why: 'no audio or video track' });
  const primary = playable.find((t) => t.kind === 'video') ?? playable[0]!;
  const container = primary.kind === 'video' ? 'video/mp4' : 'audio/mp4';
  return {
    tracks,
    mime: `${container}; codecs="${playable.map((t) => t.codec).join(',')}"`,
    primaryTrackId: primary.id,
  };
}
