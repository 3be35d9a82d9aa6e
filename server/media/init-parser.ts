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

/** Boxes that hold other boxes inside a moov (ISO/IEC 14496-12 §8.1-8.8). */
const MOOV_CONTAINERS = new Set(['moov', 'trak', 'edts', 'mdia', 'minf', 'dinf', 'stbl', 'mvex', 'udta', 'tref']);
/** Boxes that belong to fragments or the file level, never inside a moov. */
const NOT_IN_MOOV = new Set(['ftyp', 'moov', 'moof', 'mfhd', 'traf', 'tfhd', 'tfdt', 'trun', 'mdat', 'styp', 'sidx', 'prft', 'emsg', 'mfra']);
/**
 * Tables in a moov: bytes per entry, after the FullBox header and a 4-byte
 * entry_count (stsz and stz2 have more before the count: see the offsets).
 */
const TABLES: Record<string, { countAt: number; entrySize: (version: number) => number }> = {
  stts: { countAt: 4, entrySize: () => 8 },
  ctts: { countAt: 4, entrySize: () => 8 },
  stsc: { countAt: 4, entrySize: () => 12 },
  stco: { countAt: 4, entrySize: () => 4 },
  co64: { countAt: 4, entrySize: () => 8 },
  stss: { countAt: 4, entrySize: () => 4 },
  stps: { countAt: 4, entrySize: () => 4 },
  sbgp: { countAt: 8, entrySize: () => 8 },
  elst: { countAt: 4, entrySize: (version) => (version === 1 ? 20 : 12) },
  stsd: { countAt: 4, entrySize: () => 8 },
  dref: { countAt: 4, entrySize: () => 8 },
};

/**
 * Checks a moov's structure before mp4box reads it: every child fits its
 * parent, no fragment-level box hides inside, and every table's entry count
 * fits in its box. mp4box loops over such counts without bounds checks: a
 * 700-byte moov with a forged count kept it busy for 7 s of CPU (fuzz seed 1,
 * iteration 372). Throws a plain Error naming the box.
 */
function validateMoov(moov: Buffer, from: number, to: number, depth = 0): void {
  if (depth > 16) throw new Error('boxes nested more than 16 deep');
  for (const box of childBoxes(moov, from, to)) {
    if (NOT_IN_MOOV.has(box.type)) throw new Error(`"${box.type}" box inside the moov`);
    const table = TABLES[box.type];
    if (table) {
      const payload = box.end - box.payload;
      if (payload < table.countAt + 4) throw new Error(`"${box.type}" box is too short`);
      const count = moov.readUInt32BE(box.payload + table.countAt);
      const room = payload - table.countAt - 4;
      if (count * table.entrySize(moov[box.payload]!) > room) throw new Error(`"${box.type}" declares ${count} entries in ${room} bytes`);
    }
    if (box.type === 'stsz' && box.end - box.payload >= 12 && moov.readUInt32BE(box.payload + 4) === 0) {
      const count = moov.readUInt32BE(box.payload + 8);
      if (count * 4 > box.end - box.payload - 12) throw new Error(`"stsz" declares ${count} sizes in ${box.end - box.payload - 12} bytes`);
    }
    if (MOOV_CONTAINERS.has(box.type)) validateMoov(moov, box.payload, box.end, depth + 1);
  }
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
    validateMoov(init, moovOffset + 8, init.length);
    movie = movieOf(init);
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
