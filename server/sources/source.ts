import type { SafeEmitter } from '../safe-emitter.ts';

export type SourceState = 'idle' | 'starting' | 'running' | 'backoff' | 'closed';

export interface SourceExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly ranForMs: number;
  /** Why fragcast ended it, when it did (restart request, close). */
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
  /** The run ended; the source restarts by itself unless closed. */
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
  start(): void;
  /**
   * Ends the current run (e.g. its output was malformed); the supervisor starts the next after its
   * backoff, or at once with `immediate` (also cutting short a backoff wait in progress).
   */
  restart(reason: string, options?: RestartOptions): void;
  /** Stops for good; resolves once no process of the source is left. Idempotent. */
  close(): Promise<void>;
}
