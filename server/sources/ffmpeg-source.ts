import type { ChildProcess } from 'node:child_process';
import type { Writable } from 'node:stream';
import type { Logger } from '../logger.ts';
import { LineRateLimiter } from '../logger.ts';
import type { BackoffOptions } from './backoff.ts';
import { spawnReaped } from './child-reaper.ts';
import { FfmpegNoiseFilter } from './ffmpeg-args.ts';
import { maskSecrets, type StderrLog } from './stderr-log.ts';
import { SupervisedSource, type Run } from './supervised-source.ts';

/** Feeds a child's stdin for one run (a variant feeds its parent's fragments); returns how to stop feeding. */
export type StdinFeed = (stdin: Writable, run: { restart(reason: string): void }) => () => void;

export interface FfmpegSourceOptions {
  readonly ffmpegPath: string;
  /**
   * The argument list, or a function that works it out before each run
   * (e.g. after probing the input). It must write fMP4 to stdout (pipe:1).
   * Never passed through a shell.
   */
  readonly args: readonly string[] | (() => Promise<readonly string[]>);
  readonly logger: Logger;
  readonly backoff?: Partial<BackoffOptions>;
  /** How long a stop waits after SIGTERM before SIGKILL. Default 1 s. */
  readonly killGraceMs?: number;
  /** What to write to the child's stdin; without it, stdin is closed. */
  readonly feed?: StdinFeed;
  /** Every stderr line also goes here (log.directory/NAME.log). */
  readonly stderrLog?: StderrLog;
  /** Strings never to show in a log line (passwords in URLs, keys). */
  readonly secrets?: readonly string[];
}

/**
 * An ffmpeg child that writes fMP4 to stdout, supervised (supervised-source.ts):
 * restarted with backoff when it exits, its stderr forwarded to the log at a
 * bounded rate (and whole to its own file), and never left behind
 * (child-reaper.ts).
 */
export class FfmpegSource extends SupervisedSource {
  readonly kind = 'ffmpeg';
  readonly #options: FfmpegSourceOptions;
  readonly #stderrLimiter = new LineRateLimiter();
  #child: ChildProcess | undefined;

  constructor(options: FfmpegSourceOptions) {
    super(options.logger, options.backoff);
    this.#options = options;
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  override async close(): Promise<void> {
    await super.close();
    this.#options.stderrLog?.close();
  }

  protected async launch(run: Run): Promise<void> {
    const { args, ffmpegPath, feed } = this.#options;
    let argv: readonly string[];
    try {
      argv = typeof args === 'function' ? await args() : args;
    } catch (error) {
      // A probe's message may quote the input URL, password and all.
      throw new Error(maskSecrets((error as Error).message, this.#options.secrets ?? []));
    }
    if (!run.active) {
      run.end();
      return;
    }
    const child = spawnReaped(ffmpegPath, argv, { stdio: [feed ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
    this.#child = child;
    this.log.info({ pid: child.pid }, 'ffmpeg started');
    this.#options.stderrLog?.write(`--- ffmpeg started (pid ${child.pid})`);
    run.started(child.pid);
    let stopFeeding: (() => void) | undefined;
    const endFeed = (): void => {
      stopFeeding?.();
      stopFeeding = undefined;
    };
    run.onStop((force) => {
      // An ffmpeg blocked reading its stdin notices SIGTERM only once the pipe ends.
      endFeed();
      if (force) {
        child.kill('SIGKILL');
        return;
      }
      const kill = setTimeout(() => child.kill('SIGKILL'), this.#options.killGraceMs ?? 1000);
      child.once('exit', () => clearTimeout(kill));
      child.kill('SIGTERM');
    });
    child.stdout!.on('data', (chunk: Buffer) => run.data(chunk));
    this.#forwardStderr(child);
    if (feed) {
      // EPIPE when ffmpeg exits while we write: the exit handler deals with the run.
      child.stdin!.on('error', () => {});
      stopFeeding = feed(child.stdin!, { restart: (reason) => (run.active ? this.restart(reason) : undefined) });
    }
    const ended = (code: number | null, signal: NodeJS.Signals | null): void => {
      endFeed();
      if (this.#child === child) this.#child = undefined;
      this.#options.stderrLog?.write(`--- ffmpeg exited (code ${code}, signal ${signal})`);
      run.end(code, signal);
    };
    child.once('error', (error) => {
      this.log.error({ err: error }, 'ffmpeg could not be started');
      ended(null, null);
    });
    child.once('exit', ended);
  }

  #forwardStderr(child: ChildProcess): void {
    const secrets = this.#options.secrets ?? [];
    const file = this.#options.stderrLog;
    const noise = new FfmpegNoiseFilter();
    let partial = '';
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (text: string) => {
      const lines = (partial + text).split(/\r?\n|\r/);
      partial = lines.pop() ?? '';
      // Bound a line that never ends.
      if (partial.length > 4096) partial = partial.slice(-4096);
      for (const raw of lines) {
        if (!raw.trim() || noise.isNoise(raw)) continue;
        const line = secrets.length ? maskSecrets(raw, secrets) : raw;
        file?.write(line);
        this.noteMessage(line);
        const verdict = this.#stderrLimiter.admit(Date.now(), (dropped) => this.log.warn({ dropped }, 'ffmpeg stderr lines dropped by the rate limit'));
        if (verdict === 'pass') this.log.warn({ ffmpeg: line }, 'ffmpeg says');
      }
    });
  }
}
