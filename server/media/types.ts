/** Typed facts about an fMP4 stream, produced by the parsers in this folder. */

export type TrackKind = 'video' | 'audio' | 'other';

/** Per-track defaults from `mvex/trex` (ISO/IEC 14496-12 §8.8.3), used when `tfhd`/`trun` omit a value. */
export interface TrackDefaults {
  readonly sampleDuration: number;
  readonly sampleSize: number;
  readonly sampleFlags: number;
}

export interface TrackInfo {
  readonly id: number;
  readonly kind: TrackKind;
  /** RFC 6381 codec string, e.g. "avc1.64001f" or "mp4a.40.2". */
  readonly codec: string;
  readonly timescale: number;
  readonly width?: number;
  readonly height?: number;
  readonly sampleRate?: number;
  readonly channels?: number;
  readonly defaults: TrackDefaults;
}

export interface InitInfo {
  readonly tracks: readonly TrackInfo[];
  /** MSE type: `video/mp4; codecs="…"` (or `audio/mp4` without a video track). */
  readonly mime: string;
  /** The track whose keyframes start GOPs: the first video track, else the first track. */
  readonly primaryTrackId: number;
}

/** One `traf` of a fragment, reduced to what the cache and outputs need. */
export interface TrackRun {
  readonly trackId: number;
  /** `tfdt` baseMediaDecodeTime in the track's timescale. */
  readonly baseDecodeTime: number;
  readonly sampleCount: number;
  /** Sum of the sample durations, in the track's timescale. */
  readonly duration: number;
  /** Whether the first sample is a sync sample (sample_is_non_sync_sample == 0). */
  readonly startsWithSync: boolean;
}

/** Producer reference time (`prft`, §8.16.5): the wallclock at which `mediaTime` was produced. */
export interface ProducerTime {
  readonly trackId: number;
  /** Unix milliseconds, converted from the NTP timestamp. */
  readonly wallclockMs: number;
  /** Media time in the reference track's timescale. */
  readonly mediaTime: number;
}

export interface FragmentInfo {
  /** `mfhd` sequence_number as written by the producer. */
  readonly sequenceNumber: number;
  readonly runs: readonly TrackRun[];
  /** True when the fragment starts with a sync sample of the primary track: a GOP may start here. */
  readonly keyframe: boolean;
  /** Decode time of the primary track's first sample, in seconds (undefined when that track is absent). */
  readonly decodeTime: number | undefined;
  /** Duration of the primary track's samples, in seconds (0 when that track is absent). */
  readonly duration: number;
  readonly prft: ProducerTime | undefined;
}
