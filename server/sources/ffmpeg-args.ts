import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/**
 * The muxer half of every ffmpeg argument list fragcast builds: fragmented
 * MP4 on stdout, one fragment per frame, each video fragment preceded by a
 * `prft` box with the producer's wallclock (used for latency figures).
 * `-flush_packets 1` writes each fragment out at once instead of when
 * ffmpeg's output buffer fills.
 */
export const FMP4_STDOUT_ARGS: readonly string[] = Object.freeze([
  '-f', 'mp4',
  '-movflags', 'frag_every_frame+empty_moov+default_base_moof',
  '-write_prft', 'wallclock',
  '-flush_packets', '1',
  'pipe:1',
]);

/**
 * The muxer half for streams that carry audio and come from an input
 * fragcast does not generate itself (files, cameras, a parent stream):
 * one fragment per packet as well, but cut by `-frag_duration` rather than
 * `frag_every_frame`. Measured with ffmpeg 5.1: remuxing or re-encoding AAC
 * from a real input with frag_every_frame writes broken audio timestamps
 * (duplicated dts, "Packet duration: -1024 … out of range"); this variant
 * writes clean ones, as ffprobe shows. Its only cost is a harmless warning
 * for the audio-only fragments, which carry no prft (see isFfmpegNoise).
 */
export const FMP4_PACKET_STDOUT_ARGS: readonly string[] = Object.freeze([
  '-f', 'mp4',
  '-movflags', 'frag_keyframe+empty_moov+default_base_moof',
  '-frag_duration', '1',
  '-write_prft', 'wallclock',
  '-flush_packets', '1',
  'pipe:1',
]);

/** ffmpeg 5.1 warnings that say nothing an operator can act on; kept out of the logs. */
const FFMPEG_NOISE = [/Unable to write PRFT, no entries in the track/];
const REPEATED = /^\s*Last message repeated \d+ times$/;

/** Tells the noise lines of one ffmpeg's stderr, including ffmpeg's own "Last message repeated" after one. */
export class FfmpegNoiseFilter {
  #lastWasNoise = false;

  isNoise(line: string): boolean {
    if (REPEATED.test(line)) return this.#lastWasNoise;
    this.#lastWasNoise = FFMPEG_NOISE.some((pattern) => pattern.test(line));
    return this.#lastWasNoise;
  }
}

/** Quiet stderr: warnings and errors only, no progress lines, never read stdin. */
export const FFMPEG_QUIET_ARGS: readonly string[] = Object.freeze(['-hide_banner', '-nostdin', '-nostats', '-loglevel', 'warning']);

const CLOCK_FONTS = [
  '/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf',
  '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf',
  '/usr/share/fonts/truetype/liberation/LiberationMono-Regular.ttf',
  '/System/Library/Fonts/Menlo.ttc',
];

/** Whether this ffmpeg has the drawtext filter (it needs libfreetype). Asked once per binary. */
const drawtextByBinary = new Map<string, boolean>();
function hasDrawtext(ffmpegPath: string): boolean {
  let known = drawtextByBinary.get(ffmpegPath);
  if (known === undefined) {
    try {
      const filters = execFileSync(ffmpegPath, ['-hide_banner', '-filters'], { encoding: 'utf8', timeout: 5000, stdio: ['ignore', 'pipe', 'ignore'] });
      known = /\sdrawtext\s/.test(filters);
    } catch {
      known = false;
    }
    drawtextByBinary.set(ffmpegPath, known);
  }
  return known;
}

export interface DemoOptions {
  readonly width?: number;
  readonly height?: number;
  readonly fps?: number;
  /** Video bitrate in kbit/s. Default 2500. */
  readonly videoKbps?: number;
}

/**
 * The built-in demo: a 1280×720 30 fps test pattern with a running clock
 * (when a font and drawtext are available) and a 440 Hz tone that beeps once
 * a second, as H.264 (zerolatency, 1 s GOP) + AAC, in real time.
 */
export function demoArgs(ffmpegPath: string, options: DemoOptions = {}): string[] {
  const { width = 1280, height = 720, fps = 30, videoKbps = 2500 } = options;
  let video = `testsrc2=size=${width}x${height}:rate=${fps}`;
  const font = CLOCK_FONTS.find((path) => existsSync(path));
  if (font && hasDrawtext(ffmpegPath)) {
    // Wallclock and stream time; the escapes are drawtext's (':' inside an expansion is '\:', in strftime text '\\\:').
    const text = String.raw`%{localtime\:%H\\\:%M\\\:%S}  %{pts\:hms}`;
    const size = Math.round(height / 13);
    video += `,drawtext=fontfile=${font}:fontsize=${size}:fontcolor=white:box=1:boxcolor=black@0.6:boxborderw=12:x=(w-tw)/2:y=h-th-${size}:text='${text}'`;
  }
  return [
    ...FFMPEG_QUIET_ARGS,
    '-re', '-f', 'lavfi', '-i', video,
    '-re', '-f', 'lavfi', '-i', 'sine=frequency=440:beep_factor=4:sample_rate=48000',
    '-c:v', 'libx264', '-preset', 'veryfast', '-tune', 'zerolatency', '-pix_fmt', 'yuv420p',
    '-g', String(fps), '-keyint_min', String(fps), '-sc_threshold', '0',
    '-b:v', `${videoKbps}k`, '-maxrate', `${videoKbps}k`, '-bufsize', `${videoKbps}k`,
    '-c:a', 'aac', '-b:a', '96k', '-ac', '2',
    ...FMP4_STDOUT_ARGS,
  ];
}
