import type { Logger } from '../logger.ts';
import { SafeEmitter } from '../safe-emitter.ts';
import { Backoff, type BackoffOptions } from './backoff.ts';
import type { RestartOptions, Source, SourceEvents, SourceExit, SourceState } from './source.ts';

/**
 * One run of a supervised source (one ffmpeg process, one connection). The
 * subclass reports through it; once the run is detached (stopped, or
 * replaced) its reports are ignored, so a late chunk of an old run can never
 * reach the stream after the 'exit' that ended it.
 */
export class Run {
  readonly #owner: SupervisedSource;
  #stopper: ((force: boolean) => void) | undefined;
  #stopRequest: boolean | undefined;
  #ended = false;
  #resolveEnded!: () => void;
  /** Resolves once the run has really ended (its process exited, its socket closed). */
  readonly ended: Promise<void> = new Promise((resolve) => (this.#resolveEnded = resolve));
  detached = false;

  constructor(owner: SupervisedSource) {
    this.#owner = owner;
  }

  /** False once the run was stopped or replaced: the subclass should not start anything more for it. */
  get active(): boolean {
    return !this.detached && this.#stopRequest === undefined;
  }

  /** The run has started (its process spawned, its connection opened). */
  started(pid?: number): void {
    if (!this.detached) this.#owner.runStarted(this, pid);
  }

  data(chunk: Buffer): void {
    if (!this.detached) this.#owner.runData(this, chunk);
  }

  /** The run is over; call exactly once (later calls are ignored). */
  end(code: number | null = null, signal: NodeJS.Signals | null = null): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#resolveEnded();
    this.#owner.runEnded(this, code, signal);
  }

  /** How to end this run; `force` asks for no grace period. Called at once if a stop was already asked for. */
  onStop(stopper: (force: boolean) => void): void {
    this.#stopper = stopper;
    if (this.#stopRequest !== undefined) stopper(this.#stopRequest);
  }

  stop(force: boolean): void {
    if (this.#ended) return;
    this.#stopRequest = (this.#stopRequest ?? false) || force;
    if (this.#stopper) this.#stopper(this.#stopRequest);
    else this.end();
  }
}

/**
 * A source that runs something again and again: started, watched, restarted
 * with exponential backoff when it ends, stopped on demand and closed for
 * good. Subclasses say how to launch one run (ffmpeg-source.ts,
 * relay-source.ts); the life cycle lives here once.
 */
export abstract class SupervisedSource extends SafeEmitter<SourceEvents> implements Source {
  abstract readonly kind: string;
  protected readonly log: Logger;
  readonly #backoff: Backoff;
  #state: SourceState = 'idle';
  #run: Run | undefined;
  #runs = 0;
  #startedAt = 0;
  #stopReason: string | undefined;
  #restartNow = false;
  #lastMessage: string | undefined;
  #restartTimer: NodeJS.Timeout | undefined;
  #lastExit: SourceExit | undefined;
  #closing: Promise<void> | undefined;

  constructor(logger: Logger, backoff: Partial<BackoffOptions> = {}) {
    super();
    this.log = logger;
    this.#backoff = new Backoff(backoff);
  }

  /** Starts one run; report through `run` (data, end) and tell it how to stop. May be async; a throw ends the run. */
  protected abstract launch(run: Run): void | Promise<void>;

  get state(): SourceState {
    return this.#state;
  }

  get restarts(): number {
    return Math.max(0, this.#runs - 1);
  }

  get lastExit(): SourceExit | undefined {
    return this.#lastExit;
  }

  start(): void {
    if (this.#state !== 'idle' && this.#state !== 'backoff') return;
    clearTimeout(this.#restartTimer);
    this.#launch();
  }

  restart(reason: string, options: RestartOptions = {}): void {
    if (this.#state === 'closed') return;
    if (!this.#run) {
      // Waiting out a backoff: an immediate restart starts the next run now.
      if (options.immediate && this.#state === 'backoff') {
        this.log.warn({ reason }, `starting the ${this.kind} source now instead of after the backoff`);
        this.#backoff.reset();
        this.start();
      }
      return;
    }
    this.log.warn({ reason }, `restarting the ${this.kind} source`);
    this.#stopReason = reason;
    this.#restartNow = options.immediate ?? false;
    // Its output is being discarded anyway; no grace period.
    this.#run.stop(true);
  }

  /** Subclasses report what the running thing last said (ffmpeg's stderr), kept for the exit report. */
  protected noteMessage(line: string): void {
    this.#lastMessage = line.slice(0, 300);
  }

  stop(): Promise<void> {
    if (this.#state === 'closed') return this.#closing ?? Promise.resolve();
    clearTimeout(this.#restartTimer);
    this.#setState('idle');
    return this.#detach('stopped');
  }

  close(): Promise<void> {
    this.#closing ??= (() => {
      clearTimeout(this.#restartTimer);
      this.#setState('closed');
      return this.#detach('closed');
    })();
    return this.#closing;
  }

  /** Ends the current run now as far as the stream is concerned ('exit' first), then waits for it to be gone. */
  #detach(reason: string): Promise<void> {
    const run = this.#run;
    if (!run) return Promise.resolve();
    this.#run = undefined;
    run.detached = true;
    this.#emitExit({ code: null, signal: null, ranForMs: Date.now() - this.#startedAt, reason });
    run.stop(false);
    return run.ended;
  }

  #launch(): void {
    this.#setState('starting');
    this.#stopReason = undefined;
    this.#restartNow = false;
    this.#lastMessage = undefined;
    this.#runs++;
    this.#startedAt = Date.now();
    const run = new Run(this);
    this.#run = run;
    const failed = (error: unknown): void => {
      this.log.error({ err: error }, `the ${this.kind} source could not start`);
      run.end();
    };
    try {
      const launched = this.launch(run);
      if (launched) launched.catch(failed);
    } catch (error) {
      failed(error);
    }
  }

  /** @internal Run reports. */
  runStarted(run: Run, pid: number | undefined): void {
    if (run !== this.#run) return;
    this.safeEmit('start', { pid });
  }

  /** @internal */
  runData(run: Run, chunk: Buffer): void {
    if (run !== this.#run) return;
    if (this.#state === 'starting') this.#setState('running');
    this.safeEmit('data', chunk);
  }

  /** @internal */
  runEnded(run: Run, code: number | null, signal: NodeJS.Signals | null): void {
    if (run !== this.#run) return;
    this.#run = undefined;
    const ranForMs = Date.now() - this.#startedAt;
    this.#emitExit({ code, signal, ranForMs, reason: this.#stopReason, lastMessage: this.#lastMessage });
    if (this.#restartNow) this.#backoff.reset();
    const delayMs = this.#restartNow ? 0 : this.#backoff.next(ranForMs);
    this.log.warn({ code, signal, ranForMs, reason: this.#stopReason, restartInMs: delayMs }, `the ${this.kind} source ended; restarting after backoff`);
    this.#setState('backoff');
    this.#restartTimer = setTimeout(() => this.#launch(), delayMs);
  }

  #emitExit(exit: SourceExit): void {
    this.#lastExit = exit;
    this.safeEmit('exit', exit);
  }

  #setState(state: SourceState): void {
    if (this.#state === state) return;
    this.#state = state;
    this.safeEmit('state', state);
  }
}
