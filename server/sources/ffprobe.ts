import { spawnReaped } from './child-reaper.ts';

export interface ProbedTrack {
  readonly kind: 'video' | 'audio';
  /** ffprobe's codec_name: h264, hevc, aac, pcm_alaw… */
  readonly codec: string;
  readonly pixelFormat: string | undefined;
}

/** How long a probe may take: an RTSP camera answers in well under a second; a dead one should not stall the source longer. */
const PROBE_TIMEOUT_MS = 10_000;

/**
 * The tracks of an input, as ffprobe sees them. `inputArgs` are the
 * arguments before and including `-i INPUT`. Rejects when ffprobe fails or
 * times out.
 */
export function probeInput(ffprobePath: string, inputArgs: readonly string[]): Promise<ProbedTrack[]> {
  return new Promise((resolve, reject) => {
    const child = spawnReaped(ffprobePath, ['-v', 'error', '-show_entries', 'stream=codec_type,codec_name,pix_fmt', '-of', 'json', ...inputArgs], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout!.setEncoding('utf8').on('data', (text: string) => (out += text));
    child.stderr!.setEncoding('utf8').on('data', (text: string) => (err = (err + text).slice(-2000)));
    const timer = setTimeout(() => child.kill('SIGKILL'), PROBE_TIMEOUT_MS);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (code !== 0) {
        reject(new Error(signal === 'SIGKILL' ? `ffprobe timed out after ${PROBE_TIMEOUT_MS / 1000} s` : `ffprobe failed: ${err.trim().split('\n').at(-1) ?? `exit ${code}`}`));
        return;
      }
      try {
        const streams = (JSON.parse(out) as { streams?: { codec_type?: string; codec_name?: string; pix_fmt?: string }[] }).streams ?? [];
        resolve(
          streams
            .filter((s) => s.codec_type === 'video' || s.codec_type === 'audio')
            .map((s) => ({ kind: s.codec_type as 'video' | 'audio', codec: s.codec_name ?? 'unknown', pixelFormat: s.pix_fmt })),
        );
      } catch (error) {
        reject(error);
      }
    });
  });
}

/** 8-bit 4:2:0 H.264 is what every MSE implementation decodes. */
const PLAYABLE_PIXEL_FORMATS = new Set(['yuv420p', 'yuvj420p']);

/** Whether a track can be copied into the fMP4 as it is and still play in every browser. */
export function browserPlayable(track: ProbedTrack): boolean {
  if (track.kind === 'video') return track.codec === 'h264' && (track.pixelFormat === undefined || PLAYABLE_PIXEL_FORMATS.has(track.pixelFormat));
  return track.codec === 'aac';
}
