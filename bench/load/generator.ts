import { cpus } from 'node:os';
import { Worker } from 'node:worker_threads';
import { Histogram } from './histogram.ts';
import type { ViewerWorkerOptions, ViewerWorkerReport } from './viewer-worker.ts';

/** The workers' reports summed: counters added up, delays merged into one histogram. */
export type LoadSnapshot = Omit<ViewerWorkerReport, 'type' | 'delays' | 'samples'> & {
  readonly delays: Histogram;
  readonly samples: Float64Array[];
};

/**
 * Viewers spread over worker threads (one per core by default), so the load
 * generator is not the bottleneck of a 2-core machine before the server is.
 */
export class LoadGenerator {
  readonly #workers: Worker[] = [];

  constructor(options: Omit<ViewerWorkerOptions, 'clients' | 'connectPerSecond' | 'sampleEvery'> & { clients: number; connectPerSecond: number; workers?: number }) {
    const count = Math.max(1, Math.min(options.workers ?? cpus().length, options.clients));
    for (let i = 0; i < count; i++) {
      const clients = Math.floor(options.clients / count) + (i < options.clients % count ? 1 : 0);
      // About 200 sampled viewers in all, whatever the load: enough for a p99, cheap to ship.
      const sampleEvery = Math.max(1, Math.floor(options.clients / 200));
      const workerData: ViewerWorkerOptions = { ...options, clients, connectPerSecond: options.connectPerSecond / count, sampleEvery };
      this.#workers.push(new Worker(new URL('./viewer-worker-entry.mjs', import.meta.url), { workerData }));
    }
  }

  /** Zeroes byte counts and delay histograms: the start of a measurement window. */
  reset(): void {
    for (const worker of this.#workers) worker.postMessage({ type: 'reset' });
  }

  async snapshot(): Promise<LoadSnapshot> {
    const reports = await Promise.all(
      this.#workers.map(
        (worker) =>
          new Promise<ViewerWorkerReport>((resolve) => {
            worker.once('message', resolve);
            worker.postMessage({ type: 'report' });
          }),
      ),
    );
    const delays = new Histogram();
    for (const report of reports) delays.add(report.delays);
    const sum = (key: 'connected' | 'connects' | 'disconnects' | 'errors' | 'bytes' | 'messages' | 'skips'): number => reports.reduce((n, r) => n + r[key], 0);
    return {
      connected: sum('connected'),
      connects: sum('connects'),
      disconnects: sum('disconnects'),
      errors: sum('errors'),
      bytes: sum('bytes'),
      messages: sum('messages'),
      skips: sum('skips'),
      perViewerBytes: reports.flatMap((r) => r.perViewerBytes),
      delays,
      samples: reports.map((r) => r.samples),
    };
  }

  #stopped: Promise<void> | undefined;

  /** Ends every viewer and worker. Idempotent. */
  stop(): Promise<void> {
    this.#stopped ??= this.#stop();
    return this.#stopped;
  }

  async #stop(): Promise<void> {
    await Promise.all(
      this.#workers.map(
        (worker) =>
          new Promise<void>((resolve) => {
            worker.once('exit', () => resolve());
            worker.postMessage({ type: 'stop' });
            setTimeout(() => void worker.terminate(), 2000).unref();
          }),
      ),
    );
  }
}
