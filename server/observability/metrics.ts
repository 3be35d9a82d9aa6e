import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Snapshots, DecodeResult, SnapshotObserver, SnapshotServed } from '../outputs/snapshot/snapshots.ts';
import { OUTPUT_KINDS, type OutputKind, type ViewerSession } from '../outputs/viewer-session.ts';
import type { AudienceTotals, Viewers } from '../outputs/viewers.ts';
import type { StreamEntry, StreamRegistry } from '../streams/registry.ts';

/** How a blocking HLS request (`_HLS_msn`/`_HLS_part`) ended. */
export type HlsBlockOutcome = 'ready' | 'timeout' | 'aborted';

export interface MetricsOptions {
  /** Node's process metrics (CPU, memory, event loop lag, GC) under their standard names. Default true. */
  readonly processMetrics?: boolean;
}

/** What the pulled metrics read at each scrape. */
export interface MetricsSources {
  readonly registry: StreamRegistry;
  readonly viewers: Viewers;
  readonly snapshots: Snapshots;
}

type StreamOutputLabels = 'stream' | 'output';
type Put<L extends string> = (labels: Record<L, string>, value: number) => void;

/**
 * fragcast's one metrics registry (prom-client, Prometheus text format),
 * documented metric by metric in docs/metrics.md.
 *
 * Two ways in, chosen by cost:
 * - pulled: stream, source and viewer counters already exist on the domain
 *   objects (Stream.stats, ViewerSession.bytesSent, Viewers.totals()); each
 *   scrape reads them. The fan-out path does no metrics work for these.
 * - pushed: histograms and rare events (snapshot decodes, HLS blocking
 *   requests) are observed where they happen, through the small observer
 *   interfaces below. The only push on the fan-out path is the fragment
 *   age, taken once per viewer per keyframe (ViewerSession.keyframeSent).
 *
 * One Registry per server (not prom-client's global one), so that several
 * fragcast instances can live in one process (tests).
 */
export class Metrics implements SnapshotObserver {
  readonly registry = new Registry();
  readonly #fragmentAge: Histogram<StreamOutputLabels>;
  readonly #snapshotRequests: Counter<'stream' | 'served'>;
  readonly #snapshotDecodes: Counter<'stream' | 'result'>;
  readonly #snapshotDecodeSeconds: Histogram<'stream'>;
  readonly #hlsBlocked: Gauge<'stream'>;
  readonly #hlsBlockedTotal: Counter<'stream' | 'outcome'>;
  #sources: MetricsSources | undefined;

  constructor(options: MetricsOptions = {}) {
    const registers = [this.registry];
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry });
    this.#fragmentAge = new Histogram({
      name: 'fragcast_fragment_age_at_send_seconds',
      help: 'Age of a keyframe fragment (since it arrived from the source) when handed to a viewer; sampled once per viewer per keyframe',
      labelNames: ['stream', 'output'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5],
      registers,
    });
    this.#snapshotRequests = new Counter({
      name: 'fragcast_snapshot_requests_total',
      help: 'Snapshot JPEG requests that found a keyframe, by how they were served: cache (hit), joined (waited for a decode in progress), decoded (started one), busy (refused)',
      labelNames: ['stream', 'served'],
      registers,
    });
    this.#snapshotDecodes = new Counter({
      name: 'fragcast_snapshot_decodes_total',
      help: 'ffmpeg snapshot decodes, by result (ok, failed, timeout)',
      labelNames: ['stream', 'result'],
      registers,
    });
    this.#snapshotDecodeSeconds = new Histogram({
      name: 'fragcast_snapshot_decode_seconds',
      help: 'Wall time of one snapshot decode, ffmpeg start to JPEG',
      labelNames: ['stream'],
      buckets: [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    this.#hlsBlocked = new Gauge({ name: 'fragcast_hls_blocked_requests', help: 'HLS blocking requests waiting now', labelNames: ['stream'], registers });
    this.#hlsBlockedTotal = new Counter({
      name: 'fragcast_hls_blocked_requests_total',
      help: 'HLS blocking requests that have ended, by outcome (ready, timeout, aborted)',
      labelNames: ['stream', 'outcome'],
      registers,
    });
    this.#definePulled();
  }

  /** Starts reading streams, sources, viewers and snapshots at each scrape. */
  watch(sources: MetricsSources): void {
    this.#sources = sources;
  }

  /** The Prometheus exposition text. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /**
   * ViewerSession.keyframeSent. Cost: one prom-client observe (label hash and
   * bucket search, 0.4 µs measured on the 2-core dev machine, 1e6 observes) per viewer per keyframe,
   * i.e. about once a second per viewer with 1 s GOPs; never per fragment.
   */
  readonly keyframeSent = (session: ViewerSession, ageMs: number): void => {
    this.#fragmentAge.observe({ stream: session.stream.name, output: session.output }, ageMs / 1000);
  };

  served(stream: string, how: SnapshotServed): void {
    this.#snapshotRequests.inc({ stream, served: how });
  }

  decoded(stream: string, result: DecodeResult, seconds: number): void {
    this.#snapshotDecodes.inc({ stream, result });
    this.#snapshotDecodeSeconds.observe({ stream }, seconds);
  }

  /**
   * For the HLS output: call when a blocking playlist or part request starts
   * waiting for media that does not exist yet; call the returned function
   * once when it is answered or given up. Extra calls are ignored.
   */
  hlsBlocked(stream: string): (outcome: HlsBlockOutcome) => void {
    this.#hlsBlocked.inc({ stream });
    let ended = false;
    return (outcome) => {
      if (ended) return;
      ended = true;
      this.#hlsBlocked.dec({ stream });
      this.#hlsBlockedTotal.inc({ stream, outcome });
    };
  }

  #definePulled(): void {
    const registers = [this.registry];
    const gauge = <L extends string>(name: string, help: string, labelNames: L[], read: (put: Put<L>) => void): void => {
      new Gauge<L>({ name, help, labelNames, registers, collect() { this.reset(); read((labels, value) => this.set(labels, value)); } });
    };
    const counter = <L extends string>(name: string, help: string, labelNames: L[], read: (put: Put<L>) => void): void => {
      new Counter<L>({ name, help, labelNames, registers, collect() { this.reset(); read((labels, value) => this.inc(labels, value)); } });
    };
    const entries = (): StreamEntry[] => (this.#sources ? [...this.#sources.registry.entries()] : []);
    /** A per-stream value read from each registry entry; undefined leaves the series out. */
    const eachStream = (value: (entry: StreamEntry) => number | undefined) => (put: Put<'stream'>) => {
      for (const entry of entries()) {
        const v = value(entry);
        if (v !== undefined) put({ stream: entry.stream.name }, v);
      }
    };
    /** A per-stream-and-output value; every output kind gets a series, 0 included, so rates and sums work from the start. */
    const eachOutput = <S>(prepare: (sources: MetricsSources) => S, value: (state: S, entry: StreamEntry, output: OutputKind) => number) => (put: Put<StreamOutputLabels>) => {
      if (!this.#sources) return;
      const state = prepare(this.#sources);
      for (const entry of entries()) for (const output of OUTPUT_KINDS) put({ stream: entry.stream.name, output }, value(state, entry, output));
    };
    const total = (field: keyof AudienceTotals) => eachOutput((sources) => sources.viewers.totals(), (all, entry, output) => all.get(entry.stream.name)?.[output][field] ?? 0);

    gauge('fragcast_source_up', "Whether the stream's source is running and sending (1) or not (0)", ['stream'], eachStream((e) => (e.source.state === 'running' ? 1 : 0)));
    counter('fragcast_source_restarts_total', 'Source runs started after the first (crashes, malformed output, restart requests)', ['stream'], eachStream((e) => e.source.restarts));
    gauge('fragcast_stream_generation', 'Current init generation (+1 for each new init, e.g. after a source restart)', ['stream'], eachStream((e) => e.stream.init?.generation ?? 0));
    counter('fragcast_ingest_bytes_total', 'Bytes read from the source', ['stream'], eachStream((e) => e.stream.stats.bytesIn));
    counter('fragcast_fragments_in_total', 'Fragments parsed from the source', ['stream'], eachStream((e) => e.stream.stats.fragmentsIn));
    counter('fragcast_keyframes_in_total', 'Keyframe fragments parsed from the source', ['stream'], eachStream((e) => e.stream.stats.keyframesIn));
    counter('fragcast_input_errors_total', 'Malformed media from the source (each restarts it)', ['stream'], eachStream((e) => e.stream.stats.inputErrors));
    gauge('fragcast_ingest_bitrate_bits_per_second', 'Bitrate of the newest complete GOP', ['stream'], eachStream((e) => e.stream.bitrate));
    gauge('fragcast_gop_cache_bytes', 'Bytes held in the GOP cache', ['stream'], eachStream((e) => e.stream.cache.bytes));

    gauge('fragcast_viewers', 'Viewers connected now', ['stream', 'output'], eachOutput((sources) => sources.viewers, (viewers, entry, output) => viewers.countByOutput(entry.stream)[output]));
    counter('fragcast_viewer_sessions_total', 'Viewer sessions opened', ['stream', 'output'], total('sessions'));
    counter('fragcast_bytes_out_total', "Bytes handed to viewers' connections", ['stream', 'output'], total('bytesSent'));
    counter('fragcast_fragments_out_total', "Fragments handed to viewers' connections", ['stream', 'output'], total('fragmentsSent'));
    counter('fragcast_skipped_fragments_total', 'Fragments not sent to viewers that were behind (keyframe-skip backpressure)', ['stream', 'output'], total('skippedFragments'));
    counter('fragcast_skip_episodes_total', 'Times a viewer fell behind and began skipping to the next keyframe', ['stream', 'output'], total('skipEpisodes'));
    gauge('fragcast_snapshot_decoders', 'Snapshot decoders (ffmpeg) running now', [], (put) => put({}, this.#sources?.snapshots.decoding ?? 0));
  }
}
