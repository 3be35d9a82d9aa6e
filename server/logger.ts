import pino, { type Logger, type LevelWithSilent } from 'pino';
import pretty from 'pino-pretty';

export type { Logger };

export interface LoggerOptions {
  readonly level: LevelWithSilent;
  /** Human-readable output; default: when stdout is a terminal. */
  readonly pretty?: boolean;
  /** Destination for tests; default stdout. */
  readonly destination?: NodeJS.WritableStream;
}

/**
 * The one pino root. Modules take a child (`logger.child({ module: 'ws' })`).
 * Pretty printing runs in-process (pino-pretty as a stream, not a worker
 * transport) so a crash cannot lose the lines that explain it.
 */
export function createLogger(options: LoggerOptions): Logger {
  const usePretty = options.pretty ?? Boolean(process.stdout.isTTY);
  const base = { level: options.level, base: { pid: process.pid } };
  if (usePretty) {
    return pino(base, pretty({ colorize: true, translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname', destination: options.destination ?? 1 }));
  }
  return pino(base, options.destination ?? pino.destination({ sync: false }));
}

/**
 * Lets through at most `max` lines per `windowMs` and then one line saying how
 * many were dropped: a looping ffmpeg error cannot flood the log.
 */
export class LineRateLimiter {
  #windowStart = 0;
  #count = 0;
  #dropped = 0;

  constructor(
    readonly max = 20,
    readonly windowMs = 10_000,
  ) {}

  /** Returns 'pass' to log the line, 'drop' to skip it; calls onDropped with the count when a window with drops ends. */
  admit(now: number, onDropped: (dropped: number) => void): 'pass' | 'drop' {
    if (now - this.#windowStart >= this.windowMs) {
      if (this.#dropped > 0) onDropped(this.#dropped);
      this.#windowStart = now;
      this.#count = 0;
      this.#dropped = 0;
    }
    if (this.#count < this.max) {
      this.#count++;
      return 'pass';
    }
    this.#dropped++;
    return 'drop';
  }
}
