/**
 * The small IPC contract between the bench runner and a server under test
 * (each runs in its own child process, so CPU and memory are its own):
 * the child says `ready` with its port and viewer paths, and answers
 * `stats` with the fMP4 bytes it has ingested.
 */

export interface ServerReady {
  readonly type: 'ready';
  readonly port: number;
  /** Path of the WebSocket viewer endpoint. */
  readonly wsPath: string;
  /** Path of the HTTP chunked endpoint, when the server has one. */
  readonly httpPath?: string;
  /** What a viewer receives: 'fmp4' (whole boxes per message) or 'flv' (node-media-server). */
  readonly format: 'fmp4' | 'flv';
}

export interface ServerStats {
  readonly type: 'stats';
  readonly ingestBytes: number;
  /** [prft wallclock ms, server arrival ms] of recent fragments: joined with viewers' receive times for server-added delay. */
  readonly arrivals: [number, number][];
}

/** Arrival times of the most recent fragments, keyed by their prft wallclock (ms). Bounded. */
export class ArrivalLog {
  readonly #entries: [number, number][] = [];

  record(prftMs: number, arrivalMs: number): void {
    this.#entries.push([prftMs, arrivalMs]);
    if (this.#entries.length > 20_000) this.#entries.splice(0, 5_000);
  }

  /** Records a fragment whose bytes start with a prft box (as the bench source writes them). */
  recordBytes(fragment: Buffer, arrivalMs: number): void {
    if (fragment.length >= 24 && fragment.toString('latin1', 4, 8) === 'prft') {
      this.record((fragment.readUInt32BE(16) - 2_208_988_800) * 1000 + (fragment.readUInt32BE(20) / 0x1_0000_0000) * 1000, arrivalMs);
    }
  }

  entries(): [number, number][] {
    return this.#entries;
  }
}

/** `close`: what the server must do before it exits (fragcast's fan-out threads must end first: a worker thread ended with uWS sockets open aborts the process). */
export function announceReady(ready: Omit<ServerReady, 'type'>, ingestBytes: () => number, arrivals?: ArrivalLog, close?: () => Promise<void>): void {
  process.send!({ type: 'ready', ...ready } satisfies ServerReady);
  process.on('message', (message: { type?: string }) => {
    if (message?.type === 'stats') process.send!({ type: 'stats', ingestBytes: ingestBytes(), arrivals: arrivals?.entries() ?? [] } satisfies ServerStats);
  });
  // The runner ends us with SIGTERM; exit at once, or once `close` is done (children die with us: child-reaper / pdeathsig).
  const exit = (): void => {
    if (!close) process.exit(0);
    setTimeout(() => process.exit(0), 5000).unref();
    void close().finally(() => process.exit(0));
  };
  process.once('SIGTERM', exit);
  process.once('disconnect', exit);
}
