/**
 * Which fragments make the server-added p99? One bench server (fragcast
 * unless --server says otherwise) with N WebSocket viewers of the 4 Mbit/s
 * source, measured as `fanout-ws` does; then, for every fragment of the
 * window, the median and the slowest sampled viewer's server-added delay,
 * and the fragments whose slowest viewer is beyond the p99 of all samples.
 * A fragment's slowest viewer is how long one pass of sends took; a keyframe
 * (twice the mean fragment here) takes about twice as long. Compare with the
 * machine's floor, bench/floor/loopback-floor.c (docs/benchmarks.md).
 *
 *   node --import tsx bench/floor/fragment-delays.ts [--server fragcast] [--clients 2000] [--duration 10]
 *
 * Loopback only, at most 12,000 viewers and 120 s, and it stops by itself.
 */
import { parseArgs } from 'node:util';
import { joinServerDelays, measureFanout } from '../fanout.ts';
import { ensureBenchMedia } from '../media.ts';
import { SERVERS, type ServerName } from '../servers/launch.ts';

export interface FragmentDelay {
  /** The fragment's prft wallclock, ms. */
  readonly prftMs: number;
  readonly medianMs: number;
  readonly slowestMs: number;
}

export interface FragmentDelayReport {
  readonly fragments: FragmentDelay[];
  readonly p50: number;
  readonly p99: number;
  /** Fragments whose slowest sampled viewer waited longer than the p99 of all samples. */
  readonly beyondP99: FragmentDelay[];
}

/** Per-fragment median and slowest delay over the sampled viewers, in prft order. */
export function fragmentDelays(arrivals: [number, number][], samples: Float64Array[]): FragmentDelayReport {
  const byFragment = new Map<number, number[]>();
  const all: number[] = [];
  joinServerDelays(arrivals, samples, (prft, delay) => {
    let delays = byFragment.get(prft);
    if (!delays) byFragment.set(prft, (delays = []));
    delays.push(delay);
    all.push(delay);
  });
  const ascending = (a: number, b: number): number => a - b;
  /** The value at rank `p` (0..1) of ascending `values`. */
  const at = (values: number[], p: number): number => values[Math.min(values.length - 1, Math.floor(p * values.length))] ?? NaN;
  const fragments = [...byFragment]
    .sort(([a], [b]) => a - b)
    .map(([prftMs, delays]) => {
      delays.sort(ascending);
      return { prftMs, medianMs: at(delays, 0.5), slowestMs: delays[delays.length - 1]! };
    });
  all.sort(ascending);
  const p99 = at(all, 0.99);
  return { fragments, p50: at(all, 0.5), p99, beyondP99: fragments.filter((f) => f.slowestMs > p99) };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { server: { type: 'string', default: 'fragcast' }, clients: { type: 'string', default: '2000' }, duration: { type: 'string', default: '10' } },
  });
  const server = values.server as ServerName;
  const clients = Number(values.clients);
  const duration = Number(values.duration);
  if (!SERVERS.includes(server) || !(clients >= 1 && clients <= 12_000) || !(duration >= 1 && duration <= 120)) {
    console.error(`usage: fragment-delays.ts [--server ${SERVERS.join('|')}] [--clients 1-12000] [--duration 1-120]`);
    process.exit(2);
  }
  let report: FragmentDelayReport | undefined;
  const result = await measureFanout({
    server,
    mediaPath: ensureBenchMedia(4),
    protocol: 'ws',
    clients,
    duration,
    log: (line) => console.log(line),
    onWindow: (arrivals, samples) => (report = fragmentDelays(arrivals, samples)),
  });
  if (!report || report.fragments.length === 0) throw new Error(`${server} logged no fragment that a sampled viewer received`);
  const first = report.fragments[0]!.prftMs;
  console.log(`${server}, ${clients} viewers, ${result.serverCores.toFixed(2)} cores; server-added p50 ${report.p50} ms, p99 ${report.p99} ms`);
  console.log('fragment at s: median/slowest ms');
  console.log(report.fragments.map((f) => `${((f.prftMs - first) / 1000).toFixed(2)}: ${f.medianMs}/${f.slowestMs}`).join('  '));
  console.log(`${report.beyondP99.length} of ${report.fragments.length} fragments had a viewer beyond the p99, at s: ${report.beyondP99.map((f) => ((f.prftMs - first) / 1000).toFixed(2)).join(' ')}`);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
