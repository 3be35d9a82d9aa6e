import { FragcastError } from '../../errors.ts';
import { spawnReaped } from '../../sources/child-reaper.ts';

export interface JpegDecodeRequest {
  readonly ffmpegPath: string;
  /** Stream name, for error messages. */
  readonly stream: string;
  /** The init segment (ftyp+moov) followed by the keyframe fragment: a tiny fragmented MP4. */
  readonly mp4: readonly Buffer[];
  /** Output width in pixels, already validated and clamped; the height keeps the aspect ratio. */
  readonly width: number;
  /** The decoder is killed after this: SNAPSHOT_TIMEOUT. */
  readonly timeoutMs: number;
  /** A JPEG larger than this is refused and the decoder killed: memory stays bounded whatever ffmpeg does. */
  readonly maxBytes: number;
  /** Aborting kills the decoder (server shutdown). */
  readonly signal?: AbortSignal;
}

/** Widths outside this are refused here whatever the caller validated: this is the last door before an argument list. */
const WIDTH_LIMIT = 16384;

/**
 * ffmpeg's arguments for one JPEG from a fragmented MP4 on stdin. The width
 * is the only variable part, and it must be an integer.
 */
export function jpegDecodeArgs(width: number): string[] {
  if (!Number.isInteger(width) || width < 1 || width > WIDTH_LIMIT) throw new TypeError(`width must be a whole number from 1 to ${WIDTH_LIMIT}, got ${width}`);
  return [
    // -nostdin only turns off ffmpeg's keyboard interaction; pipe:0 is still read.
    '-hide_banner', '-nostdin', '-nostats', '-loglevel', 'error',
    '-f', 'mp4', '-i', 'pipe:0',
    '-map', '0:v:0', '-frames:v', '1',
    // -2: the height that keeps the aspect ratio, rounded to an even number.
    '-vf', `scale=${width}:-2`,
    // JPEG quality 2-31 (lower is better); 4 is visually clean at a third of q=2's size.
    '-q:v', '4',
    '-f', 'mjpeg', 'pipe:1',
  ];
}

/**
 * Decodes the first video frame of `mp4` into a JPEG with a short-lived
 * ffmpeg (spawned through the child reaper, never a shell). Rejects with
 * SNAPSHOT_DECODE_FAILED or SNAPSHOT_TIMEOUT; the child is gone either way.
 */
export function decodeJpeg(request: JpegDecodeRequest): Promise<Buffer> {
  const args = jpegDecodeArgs(request.width);
  if (request.signal?.aborted) return Promise.reject(new FragcastError('SNAPSHOT_DECODE_FAILED', { stream: request.stream, why: 'the server is shutting down' }));
  return new Promise((resolve, reject) => {
    const child = spawnReaped(request.ffmpegPath, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    let bytes = 0;
    let stderr = '';
    let failure: FragcastError | undefined;
    const fail = (why: string): void => {
      failure ??= new FragcastError('SNAPSHOT_DECODE_FAILED', { stream: request.stream, why });
      child.kill('SIGKILL');
    };
    const timer = setTimeout(() => {
      failure ??= new FragcastError('SNAPSHOT_TIMEOUT', { stream: request.stream, ms: request.timeoutMs });
      child.kill('SIGKILL');
    }, request.timeoutMs);
    const onAbort = (): void => fail('the server is shutting down');
    request.signal?.addEventListener('abort', onAbort, { once: true });

    child.stdout!.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > request.maxBytes) fail(`the JPEG exceeds ${request.maxBytes} bytes`);
      else chunks.push(chunk);
    });
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (text: string) => {
      // Only the tail says why; keep it bounded.
      stderr = (stderr + text).slice(-2000);
    });
    // ffmpeg may stop reading once it has its frame, or die early: a broken pipe is not the error to report.
    child.stdin!.on('error', () => {});
    let settled = false;
    const settle = (code: number | null, signal: NodeJS.Signals | null): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      request.signal?.removeEventListener('abort', onAbort);
      if (!failure && code !== 0) {
        const said = stderr.trim().split('\n').at(-1);
        failure = new FragcastError('SNAPSHOT_DECODE_FAILED', { stream: request.stream, why: said || (signal ? `signal ${signal}` : `exit code ${code}`) });
      }
      if (!failure && bytes === 0) failure = new FragcastError('SNAPSHOT_DECODE_FAILED', { stream: request.stream, why: 'ffmpeg wrote no picture' });
      if (failure) reject(failure);
      else resolve(Buffer.concat(chunks, bytes));
    };
    // A failed spawn may emit 'error' without 'close'.
    child.once('error', (error) => {
      fail(error.message);
      settle(null, null);
    });
    child.once('close', settle);
    for (const part of request.mp4) child.stdin!.write(part);
    child.stdin!.end();
  });
}
