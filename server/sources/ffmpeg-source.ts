import type { ChildProcess } from 'node:child_process';
import type { Logger } from '../logger.ts';
import { LineRateLimiter } from '../logger.ts';
import { SafeEmitter } from '../safe-emitter.ts';
import { Backoff, type BackoffOptions } from './backoff.ts';
import { spawnReaped } from './child-reaper.ts';
import type { RestartOptions, Source, SourceEvents, SourceExit, SourceState } from './source.ts';

export interface FfmpegSourceOptions {
  readonly ffmpegPath: string;
  /** Full argument list; must write fMP4 to stdout (pipe:1). Never passed through a shell. */
  readonly args: readonly string[];
  readonly logger: Logger;
  readonly backoff?: Partial<BackoffOptions>;
  /** How long a stop waits after SIGTERM before SIGKILL. Default 1 s. */
  readonly killGraceMs?: number;
}

/**
 * An ffmpeg child that writes fMP4 to stdout, supervised: restarted with
 * exponential backoff when it exits, its stderr forwarded to the log at a
 * bounded rate, and never left behind (see child-reaper.ts).
 */
export class FfmpegSource extends SafeEmitter<SourceEvents> implements Source {
  readonly kind = 'ffmpeg';
  readonly #options: FfmpegSourceOptions;
  readonly #log: Logger;
  readonly #backoff: Backoff;
  readonly #stderrLimiter = new LineRateLimiter();
  #state: SourceState = 'idle';
  #child: ChildProcess | undefined;
  #startedAt = 0;
  #runs = 0;
  #stopReason: string | undefined;
  #restartNow = false;
  #lastLine: string | undefined;
  #restartTimer: NodeJS.Timeout | undefined;
  #lastExit: SourceExit | undefined;
  #closing: Promise<void> | undefined;

  constructor(options: FfmpegSourceOptions) {
    super();
    this.#options = options;
    this.#log = options.logger;
    this.#backoff = new Backoff(options.backoff);
  }

  get state(): SourceState {
    return this.#state;
  }

  get restarts(): number {
    return Math.max(0, this.#runs - 1);
  }

  get lastExit(): SourceExit | undefined {
    return this.#lastExit;
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  start(): void {
    if (this.#state !== 'idle' && this.#state !== 'backoff') return;
    clearTimeout(this.#restartTimer);
    this.#spawn();
  }

  restart(reason: string, options: RestartOptions = {}): void {
    if (this.#state === 'closed') return;
    if (!this.#child) {
      // Waiting out a backoff: an immediate restart starts the next run now.
      if (options.immediate && this.#state === 'backoff') {
        this.#log.warn({ reason }, 'starting ffmpeg now instead of after the backoff');
        this.#backoff.reset();
        this.start();
      }
      return;
    }
    this.#log.warn({ reason }, 'restarting ffmpeg');
    this.#stopReason = reason;
    this.#restartNow = options.immediate ?? false;
    // Its output is being discarded anyway; no grace period.
    this.#child.kill('SIGKILL');
  }

  close(): Promise<void> {
    if (this.#closing) return this.#closing;
    clearTimeout(this.#restartTimer);
    this.#setState('closed');
    const child = this.#child;
    this.#closing = new Promise<void>((resolve) => {
      if (!child || child.exitCode !== null || child.signalCode !== null) {
        resolve();
        return;
      }
      this.#stopReason = 'closed';
      const kill = setTimeout(() => child.kill('SIGKILL'), this.#options.killGraceMs ?? 1000);
      child.once('exit', () => {
        clearTimeout(kill);
        resolve();
      });
      child.kill('SIGTERM');
    });
    return this.#closing;
  }

  #spawn(): void {
    this.#setState('starting');
    this.#stopReason = undefined;
    this.#restartNow = false;
    this.#lastLine = undefined;
    this.#runs++;
    this.#startedAt = Date.now();
    const child = spawnReaped(this.#options.ffmpegPath, this.#options.args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.#child = child;
    this.#log.info({ pid: child.pid, run: this.#runs }, 'ffmpeg started');
    this.safeEmit('start', { pid: child.pid });
    let sawData = false;
    child.stdout!.on('data', (chunk: Buffer) => {
      // Data still buffered from a child we already replaced is dropped.
      if (this.#child !== child) return;
      if (!sawData) {
        sawData = true;
        this.#setState('running');
      }
      this.safeEmit('data', chunk);
    });
    this.#forwardStderr(child);
    child.once('error', (error) => {
      this.#log.error({ err: error }, 'ffmpeg could not be started');
      this.#onExit(child, null, null);
    });
    child.once('exit', (code, signal) => this.#onExit(child, code, signal));
  }

  #forwardStderr(child: ChildProcess): void {
    let partial = '';
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (text: string) => {
      const lines = (partial + text).split(/\r?\n|\r/);
      partial = lines.pop() ?? '';
      // Bound a line that never ends.
      if (partial.length > 4096) partial = partial.slice(-4096);
      for (const line of lines) {
        if (!line.trim()) continue;
        const verdict = this.#stderrLimiter.admit(Date.now(), (dropped) =>
          this.#log.warn({ dropped }, 'ffmpeg stderr lines dropped by the rate limit'),
        );
        if (verdict === 'pass') this.#log.warn({ ffmpeg: line }, 'ffmpeg says');
        this.#lastLine = line.slice(0, 300);
      }
    });
  }

  #onExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.#child !== child) return;
    this.#child = undefined;
    const ranForMs = Date.now() - this.#startedAt;
    const exit: SourceExit = { code, signal, ranForMs, reason: this.#stopReason, lastMessage: this.#lastLine };
    this.#lastExit = exit;
    this.safeEmit('exit', exit);
    if (this.#state === 'closed') {
      this.#log.info({ code, signal, ranForMs }, 'ffmpeg stopped');
      return;
    }
    if (this.#restartNow) this.#backoff.reset();
    const delayMs = this.#restartNow ? 0 : this.#backoff.next(ranForMs);
    this.#log.warn({ code, signal, ranForMs, reason: exit.reason, restartInMs: delayMs }, 'ffmpeg exited; restarting after backoff');
    this.#setState('backoff');
    this.#restartTimer = setTimeout(() => this.#spawn(), delayMs);
  }

  #setState(state: SourceState): void {
    if (this.#state === state) return;
    this.#state = state;
    this.safeEmit('state', state);
  }
}
