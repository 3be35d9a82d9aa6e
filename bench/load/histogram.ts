/**
 * A fixed-resolution latency histogram: 0.1 ms buckets up to 10 s, plus an
 * overflow bucket. Cheap to record into (one increment), cheap to ship
 * between threads (a Uint32Array), exact enough for p50/p99 of delays
 * between 0.1 ms and seconds.
 */
export const BUCKET_MS = 0.1;
const BUCKETS = 100_000;

export class Histogram {
  readonly counts: Uint32Array;

  constructor(counts?: Uint32Array) {
    this.counts = counts ?? new Uint32Array(BUCKETS + 1);
  }

  record(ms: number): void {
    const index = ms <= 0 ? 0 : Math.min(BUCKETS, Math.floor(ms / BUCKET_MS));
    this.counts[index]!++;
  }

  add(other: Histogram | Uint32Array): void {
    const counts = other instanceof Histogram ? other.counts : other;
    for (let i = 0; i < counts.length; i++) this.counts[i]! += counts[i]!;
  }

  reset(): void {
    this.counts.fill(0);
  }

  get total(): number {
    let total = 0;
    for (const count of this.counts) total += count;
    return total;
  }

  /** The value (ms) below which `p` (0..1) of the samples fall; undefined without samples. */
  percentile(p: number): number | undefined {
    const total = this.total;
    if (total === 0) return undefined;
    const rank = Math.ceil(p * total);
    let seen = 0;
    for (let i = 0; i < this.counts.length; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return (i + 1) * BUCKET_MS;
    }
    return undefined;
  }
}
