import type { Fragment } from '../../server/streams/fragment.ts';

let seq = 0;

/** A Fragment with made-up bytes, for tests of policies that look only at size, keyframe and timing. */
export function makeFragment(options: { keyframe?: boolean; bytes?: number; duration?: number; generation?: number; arrivalMs?: number } = {}): Fragment {
  const { keyframe = false, bytes = 1000, duration = 1 / 30, generation = 1, arrivalMs = Date.now() } = options;
  return {
    seq: ++seq,
    generation,
    bytes: Buffer.alloc(bytes),
    keyframe,
    arrivalMs,
    info: { sequenceNumber: seq, runs: [], keyframe, decodeTime: seq / 30, duration, prft: undefined },
  };
}

/** `gops` GOPs of `perGop` fragments each (the first a keyframe). */
export function makeGops(gops: number, perGop: number, options: { bytes?: number; duration?: number } = {}): Fragment[] {
  const out: Fragment[] = [];
  for (let g = 0; g < gops; g++) for (let i = 0; i < perGop; i++) out.push(makeFragment({ ...options, keyframe: i === 0 }));
  return out;
}
