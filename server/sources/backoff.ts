export interface BackoffOptions {
  /** First delay. Default 500 ms. */
  readonly initialMs: number;
  /** Cap on the delay. Default 30 s. */
  readonly maxMs: number;
  /** A run at least this long counts as healthy and resets the delay. Default 30 s. */
  readonly healthyMs: number;
}

export const BACKOFF_DEFAULTS: BackoffOptions = Object.freeze({ initialMs: 500, maxMs: 30_000, healthyMs: 30_000 });

/** Exponential restart delay: 0.5 s doubling to a 30 s cap, back to 0.5 s after a healthy run. */
export class Backoff {
  readonly options: BackoffOptions;
  #attempt = 0;

  constructor(options: Partial<BackoffOptions> = {}) {
    this.options = Object.freeze({ ...BACKOFF_DEFAULTS, ...options });
  }

  /** Consecutive failures counted so far. */
  get attempt(): number {
    return this.#attempt;
  }

  /** The delay before the next start, given how long the run that just ended lasted. */
  next(ranForMs: number): number {
    if (ranForMs >= this.options.healthyMs) this.#attempt = 0;
    const delay = Math.min(this.options.initialMs * 2 ** this.#attempt, this.options.maxMs);
    this.#attempt++;
    return delay;
  }

  reset(): void {
    this.#attempt = 0;
  }
}
