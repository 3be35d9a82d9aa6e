import type { SourceOf, TranscodeConfig } from '../config/schema.ts';
import { FFMPEG_QUIET_ARGS, FMP4_PACKET_STDOUT_ARGS } from './ffmpeg-args.ts';
import { browserPlayable, type ProbedTrack } from './ffprobe.ts';

/**
 * ffmpeg argument lists built from validated configuration. Every value is
 * one element of an array handed to spawn (never a shell): a URL or an
 * option value with spaces stays one argument.
 */

export type FfmpegInputConfig = Extract<SourceOf<'ffmpeg'>, { input: string }>;

/** What to do with each track: copy it as it is, or encode H.264 / AAC. */
export interface CodecPlan {
  readonly video: 'copy' | 'encode';
  readonly audio: 'copy' | 'encode' | 'none';
}

/** The input half: options, format and `-i`, the part ffprobe shares. */
export function inputPart(source: FfmpegInputConfig): string[] {
  return [...source.input_options, ...(source.format ? ['-f', source.format] : []), '-i', source.input];
}

/**
 * Which tracks to copy. `auto` copies a browser-playable track and encodes
 * the rest; without a probe (no ffprobe, or it failed) auto encodes both,
 * which always plays.
 */
export function planCodecs(source: FfmpegInputConfig, probed: readonly ProbedTrack[] | undefined): CodecPlan {
  const audio = source.audio ? undefined : ('none' as const);
  if (source.codecs === 'copy') return { video: 'copy', audio: audio ?? 'copy' };
  if (source.codecs === 'transcode' || !probed) return { video: 'encode', audio: audio ?? 'encode' };
  const video = probed.find((t) => t.kind === 'video');
  const sound = probed.find((t) => t.kind === 'audio');
  return {
    video: video && browserPlayable(video) ? 'copy' : 'encode',
    audio: audio ?? (sound && browserPlayable(sound) ? 'copy' : 'encode'),
  };
}

/** The complete argument list of an `ffmpeg` source. */
export function ffmpegSourceArgs(source: FfmpegInputConfig, plan: CodecPlan): string[] {
  return [
    ...FFMPEG_QUIET_ARGS,
    ...(source.realtime ? ['-re'] : []),
    ...(source.loop ? ['-stream_loop', '-1'] : []),
    ...inputPart(source),
    // The first video and the first audio track, each only if present ("?").
    '-map', '0:v:0?',
    ...(plan.audio === 'none' ? ['-an'] : ['-map', '0:a:0?']),
    ...(plan.video === 'copy' ? ['-c:v', 'copy'] : h264Args(source.transcode, { gop: source.transcode.gop })),
    ...audioArgs(plan.audio, source.transcode),
    ...FMP4_PACKET_STDOUT_ARGS,
  ];
}

/**
 * A variant: the parent's fMP4 on stdin, an H.264 rendition on stdout.
 * Keyframes follow the parent's (`-force_key_frames source`), so the
 * renditions of a stream switch cleanly at the same points.
 */
export function variantArgs(source: SourceOf<'variant'>): string[] {
  return [
    ...FFMPEG_QUIET_ARGS.filter((arg) => arg !== '-nostdin'),
    // The moov carries every codec parameter: no need to buffer seconds of input to "analyze" it.
    '-analyzeduration', '0',
    '-f', 'mp4', '-i', 'pipe:0',
    '-map', '0:v:0?',
    ...(source.audio ? ['-map', '0:a:0?'] : ['-an']),
    ...h264Args(source.transcode, { gop: 'source' }),
    ...audioArgs(source.audio ? 'encode' : 'none', source.transcode),
    ...FMP4_PACKET_STDOUT_ARGS,
  ];
}

function h264Args(transcode: TranscodeConfig, keyframes: { gop: number | 'source' }): string[] {
  const filters: string[] = [];
  if (transcode.width !== undefined || transcode.height !== undefined) {
    // -2: keep the aspect ratio with an even size, as 4:2:0 needs.
    filters.push(`scale=${transcode.width ?? -2}:${transcode.height ?? -2}`);
  }
  if (transcode.fps !== undefined) filters.push(`fps=${transcode.fps}`);
  const kbps = `${Math.round(transcode.video_bitrate / 1000)}k`;
  return [
    ...(filters.length ? ['-vf', filters.join(',')] : []),
    '-c:v', 'libx264', '-preset', transcode.preset, '-tune', 'zerolatency', '-pix_fmt', 'yuv420p',
    // Time-based keyframes: right whatever the input frame rate.
    '-force_key_frames', keyframes.gop === 'source' ? 'source' : `expr:gte(t,n_forced*${keyframes.gop})`,
    '-sc_threshold', '0',
    '-b:v', kbps, '-maxrate', kbps, '-bufsize', kbps,
  ];
}

function audioArgs(plan: CodecPlan['audio'], transcode: TranscodeConfig): string[] {
  if (plan === 'none') return [];
  if (plan === 'copy') return ['-c:a', 'copy'];
  return ['-c:a', 'aac', '-b:a', `${Math.round(transcode.audio_bitrate / 1000)}k`, '-ac', '2'];
}
