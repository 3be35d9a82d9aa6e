import { statSync } from 'node:fs';
import { LoadGenerator, type LoadSnapshot } from './load/generator.ts';
import { Histogram } from './load/histogram.ts';
import { BENCH_SOURCE_SECONDS } from './media.ts';
import { DEFAULT_SETTLE_S } from './scenario.ts';
import { ServerUnderTest, type ServerName } from './servers/launch.ts';

export interface FanoutOptions {
  readonly server: ServerName;
  readonly mediaPath: string;
  readonly protocol: 'ws' | 'http';
  readonly clients: number;
  /** Seconds of measurement, after every viewer connected and a settle time. */
  readonly duration: number;
  /** Longest wait (s) for the viewers to settle before the window (BenchOptions.settle). Default DEFAULT_SETTLE_S. */
  readonly settle?: number;
  /** fragcast's listen.fanout_threads; the other servers ignore it. Default 0. */
  readonly fanoutThreads?: number;
  /** New connections per second. Default 2000. */
  readonly connectPerSecond?: number;
  /** Extra viewers that read at this fraction of the stream's bitrate (slow-viewers). */
  readonly slow?: { readonly clients: number; readonly fraction: number };
  /** Each viewer lives a random [min, max] ms, then reconnects (churn). */
  readonly lifeMs?: readonly [number, number];
  readonly log?: (line: string) => void;
  /** Given the window's server arrival log and viewers' samples, for a closer look than the percentiles (bench/floor/fragment-delays.ts). */
  readonly onWindow?: (arrivals: [number, number][], samples: Float64Array[]) => void;
}

export interface FanoutResult {
  readonly server: ServerName;
  readonly protocol: 'ws' | 'http';
  readonly clients: number;
  readonly seconds: number;
  /** Bytes per second each viewer should have received: the server's fMP4 intake in the window, or the file's rate for FLV. */
  readonly offeredBytesPerSecond: number;
  /**
   * The server's intake in the window against the source file's rate (its fMP4 output runs ~1.5 % under
   * the file's size): well below 1, a saturated server read its own source late, and "delivered", which
   * counts against that intake, no longer means real time.
   */
  readonly ingestRatio: number;
  /** Received / offered over all healthy viewers, 0..1. */
  readonly delivered: number;
  /** The worst single healthy viewer's received / offered. */
  readonly worstViewer: number;
  /** Total payload Mbit/s delivered to healthy viewers. */
  readonly throughputMbps: number;
  /** Server-added delay (ms): a viewer's receive time minus the server's arrival stamp of the same fragment. */
  readonly serverDelayP50: number | undefined;
  readonly serverDelayP99: number | undefined;
  /** Producer-to-viewer delay (ms): receive time minus the fragment's prft wallclock (includes ffmpeg's muxer hold). */
  readonly delayP50: number | undefined;
  readonly delayP99: number | undefined;
  readonly slowDelivered: number | undefined;
  readonly connected: number;
  readonly connects: number;
  readonly disconnects: number;
  readonly errors: number;
  /** `skip` messages the (healthy) viewers received in the window: fragments they missed for being behind. */
  readonly skips: number;
  readonly serverCpuSeconds: number;
  /** Server CPU use over the window, in cores (1.0 = one core busy). */
  readonly serverCores: number;
  readonly serverPeakRssMB: number;
  readonly serverRssMB: number;
  /** RSS before any viewer connected: the stream's own memory (GOP cache, HLS DVR window, code). */
  readonly serverBaselineRssMB: number;
  /** (peak RSS - baseline) per viewer, in KB. */
  readonly rssPerViewerKB: number;
  readonly fdsBefore: number;
  readonly fdsAfter: number;
  /** Whether viewers received at the offered rate before the window (else the machine was saturated). */
  readonly steady: boolean;
  readonly settleSeconds: number;
}

/**
 * Joins viewers' (prft, receive) samples with the server's (prft, arrival)
 * log: calls `each` with every sampled receipt's fragment (by its prft) and
 * server-added delay.
 */
export function joinServerDelays(arrivals: [number, number][], samples: Float64Array[], each: (prftMs: number, delayMs: number) => void): void {
  const arrivalByPrft = new Map(arrivals.map(([prft, arrival]) => [Math.round(prft), arrival]));
  for (const pairs of samples) {
    for (let i = 0; i < pairs.length; i += 2) {
      const prft = Math.round(pairs[i]!);
      const arrival = arrivalByPrft.get(prft);
      if (arrival !== undefined) each(prft, pairs[i + 1]! - arrival);
    }
  }
}

function serverAddedDelays(arrivals: [number, number][], samples: Float64Array[]): Histogram {
  const histogram = new Histogram();
  joinServerDelays(arrivals, samples, (_prft, delay) => histogram.record(delay));
  return histogram;
}

/**
 * Waits until the viewers, together, receive at the rate the server ingests
 * (within 5 % over one second: the backlog of the connection ramp, each new
 * viewer getting a GOP at once, has drained) while the server ingests in real
 * time (at least REALTIME_INGEST of the file's rate). A saturated server reads
 * its own source late (at 8,000 viewers fragcast took in 58-67 % of the
 * source's rate), and viewers that keep up with that are not in real time.
 * Gives up after `--settle` seconds (20 by default): then the machine cannot
 * carry the load, or has not drained the ramp's backlog yet, and the result
 * is marked not steady.
 */
async function settled(load: LoadGenerator, server: ServerUnderTest, clients: number, churning: boolean, fileRate: number, boundSeconds: number): Promise<{ steady: boolean; seconds: number }> {
  const started = performance.now();
  await sleep(2000);
  if (churning) return { steady: true, seconds: (performance.now() - started) / 1000 };
  // A wall-clock bound: under saturation each snapshot itself is slow.
  while (performance.now() - started < boundSeconds * 1000) {
    const [a, ingestA, at] = [await load.snapshot(), (await server.stats()).ingestBytes, performance.now()];
    await sleep(1000);
    const [b, ingestB] = [await load.snapshot(), (await server.stats()).ingestBytes];
    if (ingestB < 0) return { steady: true, seconds: (performance.now() - started) / 1000 };
    const ingested = ingestB - ingestA;
    const inRealTime = ingested >= (REALTIME_INGEST * fileRate * (performance.now() - at)) / 1000;
    if (inRealTime && Math.abs((b.bytes - a.bytes) / (ingested * clients) - 1) < 0.05) return { steady: true, seconds: (performance.now() - started) / 1000 };
  }
  return { steady: false, seconds: (performance.now() - started) / 1000 };
}

/** An intake at least this share of the file's rate is real time (ffmpeg's fMP4 output runs ~1.5 % under the file's size). */
const REALTIME_INGEST = 0.9;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Bytes per second of a bench source file. */
function fileBytesPerSecond(path: string): number {
  return statSync(path).size / BENCH_SOURCE_SECONDS;
}

/**
 * One fan-out measurement: start the server, connect the viewers (ramped),
 * let them settle, then count what they receive over `duration` seconds
 * against what the server ingested in the same window.
 */
export async function measureFanout(options: FanoutOptions): Promise<FanoutResult> {
  const log = options.log ?? (() => {});
  const server = await ServerUnderTest.start(options.server, options.mediaPath, options.fanoutThreads ?? 0);
  try {
    await sleep(1500); // the source's first GOP
    const fileRate = fileBytesPerSecond(options.mediaPath);
    const before = server.figures();
    const fdsBefore = before.openFds;
    const path = options.protocol === 'ws' ? server.ready.wsPath : server.ready.httpPath;
    if (!path) throw new Error(`${options.server} has no ${options.protocol} output`);
    const connectPerSecond = options.connectPerSecond ?? 2000;
    const common = { host: '127.0.0.1', port: server.ready.port, path, protocol: options.protocol, lifeMs: options.lifeMs ?? null };
    const load = new LoadGenerator({ ...common, clients: options.clients, connectPerSecond, readBytesPerSecond: 0 });
    const slow = options.slow
      ? new LoadGenerator({ ...common, clients: options.slow.clients, connectPerSecond, readBytesPerSecond: Math.round(fileRate * options.slow.fraction), workers: 1 })
      : undefined;
    try {
      const rampDeadline = Date.now() + (options.clients / connectPerSecond) * 1000 + 15_000;
      let snap: LoadSnapshot;
      do {
        await sleep(500);
        snap = await load.snapshot();
      } while (!options.lifeMs && snap.connected < options.clients && Date.now() < rampDeadline);
      log(`  ${options.server}: ${snap.connected}/${options.clients} viewers connected; settling`);
      const settle = await settled(load, server, options.clients, options.lifeMs !== undefined, fileRate, options.settle ?? DEFAULT_SETTLE_S);
      log(`  ${settle.steady ? 'steady' : 'NOT steady (saturated)'} after ${settle.seconds.toFixed(1)} s`);
      load.reset();
      slow?.reset();
      const cpuStart = server.figures().cpuSeconds;
      const ingestStart = (await server.stats()).ingestBytes;
      const started = performance.now();
      await sleep(options.duration * 1000);
      const [end, slowEnd, stats] = await Promise.all([load.snapshot(), slow?.snapshot(), server.stats()]);
      const ingestEnd = stats.ingestBytes;
      const serverDelays = serverAddedDelays(stats.arrivals, end.samples);
      options.onWindow?.(stats.arrivals, end.samples);
      const seconds = (performance.now() - started) / 1000;
      const figures = server.figures();
      const offeredBytesPerSecond = ingestEnd >= 0 ? (ingestEnd - ingestStart) / seconds : fileRate;
      const offeredPerViewer = offeredBytesPerSecond * seconds;
      const perViewer = end.perViewerBytes;
      await Promise.all([load.stop(), slow?.stop()]);
      await sleep(1000);
      return {
        server: options.server,
        protocol: options.protocol,
        clients: options.clients,
        seconds,
        offeredBytesPerSecond,
        ingestRatio: offeredBytesPerSecond / fileRate,
        delivered: end.bytes / (offeredPerViewer * Math.max(1, perViewer.length)),
        worstViewer: Math.min(...perViewer) / offeredPerViewer,
        throughputMbps: (end.bytes * 8) / seconds / 1e6,
        serverDelayP50: serverDelays.percentile(0.5),
        serverDelayP99: serverDelays.percentile(0.99),
        delayP50: end.delays.percentile(0.5),
        delayP99: end.delays.percentile(0.99),
        slowDelivered: slowEnd ? slowEnd.bytes / (offeredPerViewer * options.slow!.clients) : undefined,
        connected: end.connected,
        connects: end.connects,
        disconnects: end.disconnects,
        errors: end.errors,
        skips: end.skips,
        serverCpuSeconds: figures.cpuSeconds - cpuStart,
        serverCores: (figures.cpuSeconds - cpuStart) / seconds,
        serverPeakRssMB: figures.peakRssBytes / 2 ** 20,
        serverRssMB: figures.rssBytes / 2 ** 20,
        serverBaselineRssMB: before.rssBytes / 2 ** 20,
        rssPerViewerKB: (figures.peakRssBytes - before.rssBytes) / 1024 / Math.max(1, options.clients + (options.slow?.clients ?? 0)),
        fdsBefore,
        fdsAfter: server.figures().openFds,
        steady: settle.steady,
        settleSeconds: settle.seconds,
      };
    } finally {
      await Promise.all([load.stop(), slow?.stop()]);
    }
  } finally {
    await server.stop();
  }
}
