import type { Fragment } from '../streams/fragment.ts';

/**
 * The most a run of fragments joined into one message may hold. uWS copies
 * whatever a socket does not take of a write into a buffer that the socket
 * keeps for life (ws-mse.ts): a run bounds that copy as a fragment did,
 * about two keyframes' worth at 4 Mbit/s.
 */
export const MAX_RUN_BYTES = 64 * 1024;

/**
 * The joined bytes of `fragments[from..to)`, one buffer shared by every
 * viewer that sends that run. Every viewer of a stream gets the same batch
 * (the same array) and most send the whole of it, so the runs of the current
 * batch are kept until the next batch comes; a viewer whose gate cut its run
 * elsewhere adds one more join.
 */
export class RunJoiner {
  #batch: readonly Fragment[] | undefined;
  readonly #joined = new Map<number, Buffer>();

  bytesOf(fragments: readonly Fragment[], from: number, to: number): Buffer {
    if (to - from === 1) return fragments[from]!.bytes;
    if (fragments !== this.#batch) {
      this.#batch = fragments;
      this.#joined.clear();
    }
    const key = from * 0x10000 + to;
    let joined = this.#joined.get(key);
    if (!joined) {
      let total = 0;
      for (let i = from; i < to; i++) total += fragments[i]!.bytes.length;
      // Exact size, not pooled: nothing else is kept alive with it.
      joined = Buffer.allocUnsafeSlow(total);
      let at = 0;
      for (let i = from; i < to; i++) at += fragments[i]!.bytes.copy(joined, at);
      this.#joined.set(key, joined);
    }
    return joined;
  }
}
