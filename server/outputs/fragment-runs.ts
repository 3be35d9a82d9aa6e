import type { Fragment } from '../streams/fragment.ts';

/**
 * The most a run of several fragments joined into one message may hold
 * (a single larger fragment still goes alone). uWS copies whatever a socket
 * does not take of a write into a buffer that the socket keeps for life
 * (ws-mse.ts): this bounds that copy at about two keyframes at 4 Mbit/s,
 * where a lone fragment bounded it at one.
 */
export const MAX_RUN_BYTES = 64 * 1024;

/** The runs joined so far, per batch: one buffer per run for every viewer of the batch, gone with the batch. */
const joinedRuns = new WeakMap<readonly Fragment[], Map<number, Buffer>>();

/**
 * The bytes of `fragments[from..to)`: a lone fragment's own buffer, or the
 * run joined once and shared by every viewer that sends it. Every viewer of
 * a stream gets the same batch (the same array) and most send the whole of
 * it; a viewer whose gate cut its run elsewhere adds one more join.
 */
export function joinedRun(fragments: readonly Fragment[], from: number, to: number): Buffer {
  if (to - from === 1) return fragments[from]!.bytes;
  let runs = joinedRuns.get(fragments);
  if (!runs) {
    runs = new Map();
    joinedRuns.set(fragments, runs);
  }
  // Exact in a double: a batch holds at most a 16 MiB push message's worth of fragments, under 2^26.
  const key = from * 2 ** 26 + to;
  let joined = runs.get(key);
  if (!joined) {
    let total = 0;
    for (let i = from; i < to; i++) total += fragments[i]!.bytes.length;
    // Exact size, not pooled: nothing else is kept alive with it.
    joined = Buffer.allocUnsafeSlow(total);
    let at = 0;
    for (let i = from; i < to; i++) at += fragments[i]!.bytes.copy(joined, at);
    runs.set(key, joined);
  }
  return joined;
}
