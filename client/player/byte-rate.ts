/** Bits per second received over a sliding window (2 s): the bitrate figure of every player mode. */
export class ByteRate {
  readonly #windowMs: number;
  #samples: { t: number; bytes: number }[] = [];

  constructor(windowMs = 2000) {
    this.#windowMs = windowMs;
  }

  add(bytes: number): void {
    this.#samples.push({ t: performance.now(), bytes });
  }

  get bitsPerSecond(): number {
    const now = performance.now();
    while (this.#samples.length && now - this.#samples[0]!.t > this.#windowMs) this.#samples.shift();
    let bytes = 0;
    for (const sample of this.#samples) bytes += sample.bytes;
    return (bytes * 8 * 1000) / this.#windowMs;
  }
}
