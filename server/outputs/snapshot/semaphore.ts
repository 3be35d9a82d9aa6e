/**
 * At most `limit` holders at once, and at most `maxWaiting` callers queued
 * for a slot: past that, `acquire` refuses at once instead of letting a
 * queue (and the memory and latency behind it) grow without bound.
 */
export class Semaphore {
  readonly limit: number;
  readonly maxWaiting: number;
  #active = 0;
  readonly #waiting: (() => void)[] = [];

  constructor(limit: number, maxWaiting: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new TypeError(`limit must be a whole number ≥ 1, got ${limit}`);
    if (!Number.isInteger(maxWaiting) || maxWaiting < 0) throw new TypeError(`maxWaiting must be a whole number ≥ 0, got ${maxWaiting}`);
    this.limit = limit;
    this.maxWaiting = maxWaiting;
  }

  get active(): number {
    return this.#active;
  }

  get waiting(): number {
    return this.#waiting.length;
  }

  /**
   * Resolves with a release function once a slot is free, or returns
   * undefined when the queue is full. Release exactly once.
   */
  acquire(): Promise<() => void> | undefined {
    if (this.#active < this.limit) {
      this.#active++;
      return Promise.resolve(this.#releaser());
    }
    if (this.#waiting.length >= this.maxWaiting) return undefined;
    return new Promise((resolve) => this.#waiting.push(() => resolve(this.#releaser())));
  }

  #releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.#waiting.shift();
      // The slot passes straight to the next waiter: #active stays the same.
      if (next) next();
      else this.#active--;
    };
  }
}
