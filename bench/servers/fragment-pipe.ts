import { spawn } from 'node:child_process';

/**
 * Runs the bench source (ffmpeg looping a file) and groups its stdout into
 * the init segment and whole fragments, with no parsing beyond box headers:
 * what the bare uWS ceiling and the `ws` baseline publish. Deliberately
 * minimal, so the ceiling measures transport, not fragcast's code.
 */
export function pipeFragments(ffmpegArgs: string[], onInit: (init: Buffer) => void, onFragment: (fragment: Buffer) => void): { bytesIn: () => number } {
  const ffmpeg = spawn('ffmpeg', ffmpegArgs, { stdio: ['ignore', 'pipe', 'inherit'] });
  process.on('exit', () => ffmpeg.kill('SIGKILL'));
  let pending: Buffer = Buffer.alloc(0);
  let parts: Buffer[] = [];
  let bytes = 0;
  ffmpeg.stdout.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
    pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    let at = 0;
    while (pending.length - at >= 8) {
      const size = pending.readUInt32BE(at);
      if (pending.length - at < size) break;
      const box = pending.subarray(at, at + size);
      const type = box.toString('latin1', 4, 8);
      at += size;
      if (type === 'ftyp') parts = [Buffer.from(box)];
      else if (type === 'moov') {
        onInit(Buffer.concat([...parts, box]));
        parts = [];
      } else if (type === 'mdat') {
        onFragment(Buffer.concat([...parts, box]));
        parts = [];
      } else parts.push(Buffer.from(box));
    }
    pending = pending.subarray(at);
  });
  return { bytesIn: () => bytes };
}
