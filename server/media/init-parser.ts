import { createFile, Log, MP4BoxBuffer, type Movie } from 'mp4box';
import { MediaError } from '../errors.ts';
import { childBoxes, findChild } from './box.ts';
import type { InitInfo, TrackDefaults, TrackInfo, TrackKind } from './types.ts';

// mp4box logs parse trouble to the console by default; fragcast reports errors itself.
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

function kindOf(type: string | undefined): TrackKind {
  return type === 'video' || type === 'audio' ? type : 'other';
}

function movieOf(init: Buffer): Movie | undefined {
  const file = createFile();
  let movie: Movie | undefined;
  let failure: string | undefined;
  file.onReady = (info) => {
    movie = info;
  };
  file.onError = (module, message) => {
    failure = `${module}: ${message}`;
  };
  // mp4box wants an ArrayBuffer of its own (it tags it with fileStart); this copies only the small init.
  const copy = init.buffer.slice(init.byteOffset, init.byteOffset + init.byteLength);
  file.appendBuffer(MP4BoxBuffer.fromArrayBuffer(copy, 0));
  file.flush();
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
