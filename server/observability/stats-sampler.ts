import { OUTPUT_KINDS, type OutputKind } from '../outputs/viewer-session.ts';
import type { Viewers } from '../outputs/viewers.ts';
import type { StreamRegistry } from '../streams/registry.ts';

export interface StatsSamplerOptions {
  /** Time between samples. Default 1000 ms. */
  readonly intervalMs: number;
  /** Samples kept (the /stats charts' history). Default 300: five minutes at 1 s. */
  readonly keep: number;
}

export const STATS_SAMPLER_DEFAULTS: StatsSamplerOptions = Object.freeze({ intervalMs: 1000, keep: 300 });

/** One stream in one sample. Rates are over the interval since the previous sample. */
export interface StreamSample {
  readonly viewers: Record<OutputKind, number>;
  readonly ingestBitsPerSecond: number;
  readonly egressBitsPerSecond: number;
  readonly fragmentsPerSecond: number;
  /** Fragments skipped for viewers that were behind, per second. */
  readonly skipsPerSecond: number;
  /** Source restarts so far (cumulative). */
  readonly restarts: number;
}

export interface StatsSample {
  /** Unix ms. */
  readonly t: number;
  /** CPU time of the process over the interval, in cores (1 = one core busy). */
  readonly cpu: number;
  readonly rssBytes: number;
  readonly heapUsedBytes: number;
  readonly streams: Readonly<Record<string, StreamSample>>;
}

interface Cumulative {
  bytesIn: number;
  bytesOut: number;
  fragmentsIn: number;
  skipped: number;
}

/**
 * Samples the server once per interval into a bounded ring, for the /stats
 * page: a page opened now shows the last minutes at once, and any number of
 * open pages cost one sample a second, not one computation per poll. A tick
 * walks the streams and the live sessions (Viewers.totals): microseconds per
 * thousand viewers.
 */
export class StatsSampler {
  readonly options: StatsSamplerOptions;
  readonly #registry: StreamRegistry;
  readonly #viewers: Viewers;
  readonly #ring: StatsSample[] = [];
  #previous = new Map<string, Cumulative>();
  #previousAt = performance.now();
  #previousCpu = process.cpuUsage();
  #timer: NodeJS.Timeout | undefined;

  constructor(registry: StreamRegistry, viewers: Viewers, options: Partial<StatsSamplerOptions> = {}) {
    this.options = Object.freeze({ ...STATS_SAMPLER_DEFAULTS, ...options });
    this.#registry = registry;
    this.#viewers = viewers;
  }

  start(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => this.sample(), this.options.intervalMs);
    this.#timer.unref();
  }

  /** Samples older than `sinceMs` are left out. */
  samples(sinceMs = 0): StatsSample[] {
    const first = this.#ring.findIndex((sample) => sample.t > sinceMs);
    return first < 0 ? [] : this.#ring.slice(first);
  }

  /** Takes one sample now (the timer calls this; tests may too). */
  sample(): StatsSample {
    const now = performance.now();
    const seconds = Math.max(0.001, (now - this.#previousAt) / 1000);
    const cpu = process.cpuUsage(this.#previousCpu);
    this.#previousCpu = process.cpuUsage();
    this.#previousAt = now;
    const totals = this.#viewers.totals();
    const current = new Map<string, Cumulative>();
    const streams: Record<string, StreamSample> = {};
    // A stream re-added under the same name starts from 0 again: never a negative rate.
    const rate = (value: number, before: number): number => Math.max(0, value - before) / seconds;
    for (const { stream, source } of this.#registry.entries()) {
      const byOutput = totals.get(stream.name);
      const viewers = this.#viewers.countByOutput(stream);
      let bytesOut = 0;
      let skipped = 0;
      for (const output of OUTPUT_KINDS) {
        bytesOut += byOutput?.[output].bytesSent ?? 0;
        skipped += byOutput?.[output].skippedFragments ?? 0;
      }
      const counts: Cumulative = { bytesIn: stream.stats.bytesIn, bytesOut, fragmentsIn: stream.stats.fragmentsIn, skipped };
      const before = this.#previous.get(stream.name);
      current.set(stream.name, counts);
      // A stream enters the samples at its second tick, when its rates can be told (not as a false zero).
      if (!before) continue;
      streams[stream.name] = {
        viewers: Object.fromEntries(OUTPUT_KINDS.map((output) => [output, viewers[output]])) as Record<OutputKind, number>,
        ingestBitsPerSecond: Math.round(rate(counts.bytesIn, before.bytesIn) * 8),
        egressBitsPerSecond: Math.round(rate(counts.bytesOut, before.bytesOut) * 8),
        fragmentsPerSecond: Number(rate(counts.fragmentsIn, before.fragmentsIn).toFixed(2)),
        skipsPerSecond: Number(rate(counts.skipped, before.skipped).toFixed(2)),
        restarts: source.restarts,
      };
    }
    this.#previous = current;
    const memory = process.memoryUsage();
    const sample: StatsSample = {
      t: Date.now(),
      cpu: Number(((cpu.user + cpu.system) / 1e6 / seconds).toFixed(3)),
      rssBytes: memory.rss,
      heapUsedBytes: memory.heapUsed,
      streams,
    };
    this.#ring.push(sample);
    if (this.#ring.length > this.options.keep) this.#ring.shift();
    return sample;
  }

  close(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
