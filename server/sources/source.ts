import type { SafeEmitter } from '../safe-emitter.ts';

/** idle: not running and not scheduled (before start, after stop, a push stream without publisher). */
export type SourceState = 'idle' | 'starting' | 'running' | 'backoff' | 'closed';

export interface SourceExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly ranForMs: number;
  /** Why fragcast ended it, when it did (restart request, stop, close). */
  readonly reason: string | undefined;
  /** The last line the source logged before it ended (ffmpeg's stderr), which usually says why. */
  readonly lastMessage?: string | undefined;
}

export interface RestartOptions {
  /** Start the next run at once, skipping (and resetting) the backoff delay: an operator asked for it. */
  readonly immediate?: boolean;
}

export interface SourceEvents {
  [event: string]: unknown[];
  /** fMP4 bytes. The buffer is the source's own and is never mutated afterwards. */
  data: [Buffer];
  /** A new run started: the next bytes begin a new fMP4 stream (ftyp, moov…). */
  start: [{ readonly pid: number | undefined }];
  /** The run ended: no more bytes of it will come. The source restarts by itself unless stopped or closed. */
  exit: [SourceExit];
  state: [SourceState];
}

/** What a stream's owner needs of any source: bytes out, supervision in. A source knows nothing of viewers. */
export interface Source extends SafeEmitter<SourceEvents> {
  readonly kind: string;
  readonly state: SourceState;
  /** Runs started after the first. */
  readonly restarts: number;
  readonly lastExit: SourceExit | undefined;
  /** Starts a run unless one is running; from backoff, starts at once. */
  start(): void;
  /**
   * Ends the current run (e.g. its output was malformed); the supervisor starts the next after its
   * backoff, or at once with `immediate` (also cutting short a backoff wait in progress).
   */
  restart(reason: string, options?: RestartOptions): void;
  /** Ends the current run and stays idle until start(); resolves once no process of the run is left. 'exit' is emitted before it returns. */
  stop(): Promise<void>;
  /** Stops for good; resolves once no process of the source is left. Idempotent. */
  close(): Promise<void>;
}
