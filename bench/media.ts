/**
 * The benchmark sources: 20 s of 1280×720 30 fps H.264 (1 s GOP,
 * constant bitrate with filler, so 2/4/8 Mbit/s mean what they say) + AAC,
 * as fragmented MP4, cached in .cache/bench/ (outside git). The bench loops a
 * file in real time with `-c copy`, so encoding never competes with the
 * server for the CPU during a measurement.
 * `scripts/make-bench-media.ts` makes them ahead of a run.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../server/package-root.ts';

const DIR = join(PACKAGE_ROOT, '.cache', 'bench');
/** The length of every bench source. */
export const BENCH_SOURCE_SECONDS = 20;

export function benchMediaPath(mbps: number): string {
  // v2: interleaved one fragment per frame (v1's 1 s fragments made the looped source bursty).
  return join(DIR, `source-${mbps}mbps-v2.mp4`);
}

/** Returns the cached source at `mbps`, encoding it first if needed (about 10 s per file on 2 cores). */
export function ensureBenchMedia(mbps: number, ffmpeg = 'ffmpeg'): string {
  const path = benchMediaPath(mbps);
  if (existsSync(path)) return path;
  mkdirSync(DIR, { recursive: true });
  const kbps = Math.round(mbps * 1000) - 128;
  const partial = `${path}.${process.pid}.part`;
  execFileSync(
    ffmpeg,
    [
      '-hide_banner', '-nostdin', '-loglevel', 'error',
      '-f', 'lavfi', '-i', 'testsrc2=size=1280x720:rate=30',
      '-f', 'lavfi', '-i', 'sine=frequency=440:beep_factor=4:sample_rate=48000',
      '-t', String(BENCH_SOURCE_SECONDS),
      '-c:v', 'libx264', '-preset', 'veryfast', '-tune', 'zerolatency', '-pix_fmt', 'yuv420p',
      '-g', '30', '-keyint_min', '30', '-sc_threshold', '0',
      '-b:v', `${kbps}k`, '-minrate', `${kbps}k`, '-maxrate', `${kbps}k`, '-bufsize', `${kbps}k`, '-x264-params', 'nal-hrd=cbr:filler=1',
      '-c:a', 'aac', '-b:a', '128k',
      // One fragment per frame, so audio and video are interleaved frame by frame in the file. With
      // 1 s fragments (all video, then all audio), the mov demuxer reads a second of video before its
      // audio and the muxer holds the video until the audio comes: the looped output came in one burst
      // a second (measured: 30 WebSocket messages within 3 ms, once a second).
      '-f', 'mp4', '-movflags', 'frag_keyframe+empty_moov+default_base_moof', '-frag_duration', '33000', '-y', partial,
    ],
    { stdio: ['ignore', 'ignore', 'inherit'], timeout: 300_000 },
  );
  renameSync(partial, path);
  return path;
}

/**
 * ffmpeg arguments that loop a bench source in real time, `-c copy`, to
 * fMP4 on stdout: one fragment per video frame with its audio alongside
 * (`-frag_duration` under one frame), each with a `prft` wallclock.
 * Not `frag_every_frame`: with copied AAC, ffmpeg 5.1 writes zero-duration
 * audio samples in that mode (seen: 34 of 94 audio fragments of a 2 s file).
 */
export function loopArgs(path: string): string[] {
  return [
    '-hide_banner', '-nostdin', '-nostats', '-loglevel', 'error',
    '-stream_loop', '-1', '-re', '-i', path,
    '-c', 'copy',
    '-f', 'mp4', '-movflags', 'frag_keyframe+empty_moov+default_base_moof', '-frag_duration', '33000',
    '-write_prft', 'wallclock', '-flush_packets', '1', 'pipe:1',
  ];
}
