import type { ErrorCode } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { Fragment, InitRecord } from '../streams/fragment.ts';
import type { Marker } from '../streams/markers.ts';
import type { Stream } from '../streams/stream.ts';
import { OUTPUT_KINDS, type KeyframeSentObserver, type OutputKind, type ViewerSession } from './viewer-session.ts';

/** Counters of one stream's viewers through one output, over the server's life: ended sessions plus live ones. */
export interface AudienceTotals {
  /** Sessions ever opened. */
  sessions: number;
  bytesSent: number;
  fragmentsSent: number;
  skippedFragments: number;
  skipEpisodes: number;
}

export type TotalsByOutput = Record<OutputKind, AudienceTotals>;

function emptyTotals(): TotalsByOutput {
  const totals = {} as TotalsByOutput;
  for (const output of OUTPUT_KINDS) totals[output] = { sessions: 0, bytesSent: 0, fragmentsSent: 0, skippedFragments: 0, skipEpisodes: 0 };
  return totals;
}

function addSession(into: AudienceTotals, session: ViewerSession): void {
  into.bytesSent += session.bytesSent;
  into.fragmentsSent += session.fragmentsSent;
  into.skippedFragments += session.gate.skippedFragments;
  into.skipEpisodes += session.gate.skipEpisodes;
}

export interface ViewersOptions {
  /** Measures fragment age at send (metrics); see ViewerSession.keyframeSent. */
  readonly keyframeSent?: KeyframeSentObserver;
}

interface StreamAudience {
  readonly sessions: Set<ViewerSession>;
  readonly detach: () => void;
}

/**
 * Every viewer session, and the fan-out from streams to them. A stream gets
 * one subscription per hub (not one per viewer), taken with its first
 * viewer and dropped with its last; each batch of fragments is then handed
 * to every session of that stream.
 */
export class Viewers {
  readonly #sessions = new Map<string, ViewerSession>();
  readonly #audiences = new Map<Stream, StreamAudience>();
  /** Per stream name: sessions opened, and the counters of sessions that ended. Bounded by the number of stream names. */
  readonly #settled = new Map<string, TotalsByOutput>();
  readonly #log: Logger;
  readonly #keyframeSent: KeyframeSentObserver | undefined;

  constructor(logger: Logger, options: ViewersOptions = {}) {
    this.#log = logger;
    this.#keyframeSent = options.keyframeSent;
  }

  get size(): number {
    return this.#sessions.size;
  }

  get(id: string): ViewerSession | undefined {
    return this.#sessions.get(id);
  }

  list(): IterableIterator<ViewerSession> {
    return this.#sessions.values();
  }

  /** Viewers of a stream, optionally of one output only. */
  count(stream: Stream, output?: OutputKind): number {
    const audience = this.#audiences.get(stream);
    if (!audience) return 0;
    if (!output) return audience.sessions.size;
    let n = 0;
    for (const session of audience.sessions) if (session.output === output) n++;
    return n;
  }

  /** Viewers of a stream per output, and their total. */
  countByOutput(stream: Stream): Record<OutputKind, number> & { total: number } {
    const counts = {} as Record<OutputKind, number> & { total: number };
    for (const output of OUTPUT_KINDS) counts[output] = 0;
    counts.total = 0;
    for (const session of this.#audiences.get(stream)?.sessions ?? []) {
      counts[session.output]++;
      counts.total++;
    }
    return counts;
  }

  /**
   * Totals per stream name and output since the server started: what ended
   * sessions were sent plus what live ones have been sent so far. Walks the
   * live sessions, so it is for scrapes and stats ticks, not hot paths.
   */
  totals(): Map<string, TotalsByOutput> {
    const out = new Map<string, TotalsByOutput>();
    for (const [name, settled] of this.#settled) {
      const copy = emptyTotals();
      for (const output of OUTPUT_KINDS) Object.assign(copy[output], settled[output]);
      out.set(name, copy);
    }
    for (const session of this.#sessions.values()) addSession(out.get(session.stream.name)![session.output], session);
    return out;
  }

  /** Registers a session, starts it (init + newest GOP; a WebSocket session may run its start later), then feeds it live fragments until it closes. */
  add(session: ViewerSession): void {
    this.#sessions.set(session.id, session);
    this.#settledFor(session.stream.name)[session.output].sessions++;
    session.keyframeSent = this.#keyframeSent;
    const audience = this.#audiences.get(session.stream) ?? this.#attach(session.stream);
    audience.sessions.add(session);
    // Holds the stream while the session lasts: an on-demand source starts with the first viewer.
    session.stream.acquire();
    session.once('close', (reason) => this.#remove(session, reason));
    this.#log.info(
      { session: session.id, stream: session.stream.name, output: session.output, remote: session.remoteAddress },
      'viewer connected',
    );
    session.start();
  }

  /** Ends every session with `reason` (e.g. SERVER_SHUTTING_DOWN). */
  closeAll(reason: ErrorCode): void {
    for (const session of [...this.#sessions.values()]) session.close(reason);
  }

  #attach(stream: Stream): StreamAudience {
    const sessions = new Set<ViewerSession>();
    const onFragments = (fragments: readonly Fragment[]): void => {
      // One clock read per batch, not per viewer. Per-viewer sends from JS, not uWS pub/sub: each
      // viewer needs its own keyframe gate, and the cost is level with the C++ publish loop — at 2,000
      // viewers of 4 Mbit/s fragcast used 0.55 cores against the bare-uWS ceiling's 0.65 and delivered
      // 8.3 Gbit/s against 7.6 (`npm run bench -- compare --clients 2000`, docs/benchmarks.md).
      const now = Date.now();
      for (const session of sessions) session.deliver(fragments, now);
    };
    const onInit = (init: InitRecord): void => {
      for (const session of sessions) session.onInit(init);
    };
    const onMarker = (marker: Marker): void => {
      for (const session of sessions) session.onMarker(marker);
    };
    const onClose = (): void => {
      for (const session of [...sessions]) session.close('STREAM_CLOSED');
    };
    stream.on('fragments', onFragments).on('init', onInit).on('marker', onMarker).on('close', onClose);
    const audience: StreamAudience = {
      sessions,
      detach: () => stream.off('fragments', onFragments).off('init', onInit).off('marker', onMarker).off('close', onClose),
    };
    this.#audiences.set(stream, audience);
    return audience;
  }

  #settledFor(name: string): TotalsByOutput {
    let totals = this.#settled.get(name);
    if (!totals) this.#settled.set(name, (totals = emptyTotals()));
    return totals;
  }

  #remove(session: ViewerSession, reason: string): void {
    this.#sessions.delete(session.id);
    addSession(this.#settledFor(session.stream.name)[session.output], session);
    session.stream.release();
    const audience = this.#audiences.get(session.stream);
    if (audience) {
      audience.sessions.delete(session);
      if (audience.sessions.size === 0) {
        audience.detach();
        this.#audiences.delete(session.stream);
      }
    }
    this.#log.info(
      {
        session: session.id,
        stream: session.stream.name,
        output: session.output,
        reason,
        durationMs: Date.now() - session.connectedAt,
        bytes: session.bytesSent,
        fragments: session.fragmentsSent,
        skipped: session.gate.skippedFragments,
      },
      'viewer disconnected',
    );
  }
}
