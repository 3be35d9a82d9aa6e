import { MediaError } from '../errors.ts';
import { childBoxes, ntpToUnixMs, readUInt64 } from './box.ts';
import type { FragmentInfo, InitInfo, ProducerTime, TrackDefaults, TrackRun } from './types.ts';

// tfhd flags (§8.8.7.1)
const TFHD_BASE_DATA_OFFSET = 0x000001;
const TFHD_SAMPLE_DESCRIPTION_INDEX = 0x000002;
const TFHD_DEFAULT_DURATION = 0x000008;
const TFHD_DEFAULT_SIZE = 0x000010;
const TFHD_DEFAULT_FLAGS = 0x000020;

// trun flags (§8.8.8.1)
const TRUN_DATA_OFFSET = 0x000001;
const TRUN_FIRST_SAMPLE_FLAGS = 0x000004;
const TRUN_SAMPLE_DURATION = 0x000100;
const TRUN_SAMPLE_SIZE = 0x000200;
const TRUN_SAMPLE_FLAGS = 0x000400;
const TRUN_SAMPLE_CTS = 0x000800;

/** sample_flags (§8.8.3.1): bit 16 is sample_is_non_sync_sample; bits 24-25 sample_depends_on (1 = depends on others). */
function isSyncSample(flags: number): boolean {
  return (flags & 0x0001_0000) === 0 && ((flags >>> 24) & 0x3) !== 1;
}

class FragmentSyntaxError extends Error {}

function need(condition: unknown, why: string): asserts condition {
  if (!condition) throw new FragmentSyntaxError(why);
}

interface TrafDefaults {
  duration: number;
  flags: number;
}

function readTfhd(buf: Buffer, payload: number, end: number, init: InitInfo): { trackId: number } & TrafDefaults {
  need(end - payload >= 8, 'tfhd is shorter than 8 bytes');
  const flags = buf.readUInt32BE(payload) & 0xffffff;
  const trackId = buf.readUInt32BE(payload + 4);
  const trex: TrackDefaults | undefined = init.tracks.find((t) => t.id === trackId)?.defaults;
  need(trex !== undefined, `traf names track ${trackId}, which the init segment does not declare`);
  let at = payload + 8;
  if (flags & TFHD_BASE_DATA_OFFSET) at += 8;
  if (flags & TFHD_SAMPLE_DESCRIPTION_INDEX) at += 4;
  let duration = trex.sampleDuration;
  let sampleFlags = trex.sampleFlags;
  if (flags & TFHD_DEFAULT_DURATION) {
    need(at + 4 <= end, 'tfhd default_sample_duration overruns the box');
    duration = buf.readUInt32BE(at);
    at += 4;
  }
  if (flags & TFHD_DEFAULT_SIZE) at += 4;
  if (flags & TFHD_DEFAULT_FLAGS) {
    need(at + 4 <= end, 'tfhd default_sample_flags overruns the box');
    sampleFlags = buf.readUInt32BE(at);
    at += 4;
  }
  need(at <= end, 'tfhd fields overrun the box');
  return { trackId, duration, flags: sampleFlags };
}

interface TrunFacts {
  sampleCount: number;
  duration: number;
  firstSampleFlags: number;
}

function readTrun(buf: Buffer, payload: number, end: number, defaults: TrafDefaults): TrunFacts {
  need(end - payload >= 8, 'trun is shorter than 8 bytes');
  const flags = buf.readUInt32BE(payload) & 0xffffff;
  const sampleCount = buf.readUInt32BE(payload + 4);
  let at = payload + 8;
  if (flags & TRUN_DATA_OFFSET) at += 4;
  let firstSampleFlags: number | undefined;
  if (flags & TRUN_FIRST_SAMPLE_FLAGS) {
    need(at + 4 <= end, 'trun first_sample_flags overruns the box');
    firstSampleFlags = buf.readUInt32BE(at);
    at += 4;
  }
  const hasDuration = (flags & TRUN_SAMPLE_DURATION) !== 0;
  const hasFlags = (flags & TRUN_SAMPLE_FLAGS) !== 0;
  // Entry fields in order (§8.8.8.2): duration, size, flags, composition offset.
  const flagsField = (hasDuration ? 4 : 0) + (flags & TRUN_SAMPLE_SIZE ? 4 : 0);
  const entrySize = flagsField + (hasFlags ? 4 : 0) + (flags & TRUN_SAMPLE_CTS ? 4 : 0);
  // Check the count against the bytes present before touching any entry: a hostile count costs nothing.
  need(sampleCount * entrySize <= end - at, `trun sample_count ${sampleCount} needs ${sampleCount * entrySize} bytes, box has ${end - at}`);
  let duration = 0;
  if (hasDuration) {
    for (let i = 0, p = at; i < sampleCount; i++, p += entrySize) duration += buf.readUInt32BE(p);
  } else {
    duration = sampleCount * defaults.duration;
  }
  if (firstSampleFlags === undefined) {
    firstSampleFlags = hasFlags && sampleCount > 0 ? buf.readUInt32BE(at + flagsField) : defaults.flags;
  }
  return { sampleCount, duration, firstSampleFlags };
}

function readTraf(buf: Buffer, from: number, to: number, init: InitInfo): TrackRun {
  let tfhd: ReturnType<typeof readTfhd> | undefined;
  let baseDecodeTime: number | undefined;
  let sampleCount = 0;
  let duration = 0;
  let firstSampleFlags: number | undefined;
  for (const box of childBoxes(buf, from, to)) {
    if (box.type === 'tfhd') {
      tfhd = readTfhd(buf, box.payload, box.end, init);
    } else if (box.type === 'tfdt') {
      need(box.end - box.payload >= 8, 'tfdt is too short');
      const version = buf[box.payload]!;
      if (version === 1) {
        need(box.end - box.payload >= 12, 'tfdt v1 is too short');
        baseDecodeTime = readUInt64(buf, box.payload + 4);
      } else {
        baseDecodeTime = buf.readUInt32BE(box.payload + 4);
      }
    } else if (box.type === 'trun') {
      need(tfhd !== undefined, 'trun before tfhd');
      const run = readTrun(buf, box.payload, box.end, tfhd);
      if (firstSampleFlags === undefined && run.sampleCount > 0) firstSampleFlags = run.firstSampleFlags;
      sampleCount += run.sampleCount;
      duration += run.duration;
    }
  }
  need(tfhd !== undefined, 'traf without tfhd');
  need(baseDecodeTime !== undefined, `traf of track ${tfhd.trackId} has no tfdt`);
  return {
    trackId: tfhd.trackId,
    baseDecodeTime,
    sampleCount,
    duration,
    startsWithSync: firstSampleFlags === undefined ? false : isSyncSample(firstSampleFlags),
  };
}

/** Parses a `prft` box (§8.16.5) given as a whole buffer. */
export function parsePrft(buf: Buffer): ProducerTime {
  need(buf.length >= 8 + 4 + 4 + 8 + 4, 'prft is too short');
  const version = buf[8]!;
  need(version !== 1 || buf.length >= 32, 'prft v1 is too short');
  return {
    trackId: buf.readUInt32BE(12),
    wallclockMs: ntpToUnixMs(buf, 16),
    mediaTime: version === 1 ? readUInt64(buf, 24) : buf.readUInt32BE(24),
  };
}

/**
 * Parses a `moof` box (given whole) against the current init. `prft` is the
 * producer-time box that preceded it, if any. Throws MEDIA_FRAGMENT_INVALID
 * with the stream offset and the reason.
 */
export function parseMoof(moof: Buffer, prft: Buffer | undefined, init: InitInfo, offset: number): FragmentInfo {
  try {
    let sequenceNumber = 0;
    const runs: TrackRun[] = [];
    for (const box of childBoxes(moof, 8, moof.length)) {
      if (box.type === 'mfhd') {
        need(box.end - box.payload >= 8, 'mfhd is too short');
        sequenceNumber = moof.readUInt32BE(box.payload + 4);
      } else if (box.type === 'traf') {
        runs.push(readTraf(moof, box.payload, box.end, init));
      }
    }
    need(runs.length > 0, 'moof has no traf');
    const primary = runs.find((r) => r.trackId === init.primaryTrackId);
    const timescale = init.tracks.find((t) => t.id === init.primaryTrackId)!.timescale;
    return {
      sequenceNumber,
      runs,
      keyframe: primary?.startsWithSync ?? false,
      decodeTime: primary ? primary.baseDecodeTime / timescale : undefined,
      duration: primary ? primary.duration / timescale : 0,
      prft: prft ? parsePrft(prft) : undefined,
    };
  } catch (error) {
    if (error instanceof MediaError) throw error;
    throw new MediaError('MEDIA_FRAGMENT_INVALID', { offset, why: (error as Error).message });
  }
}
