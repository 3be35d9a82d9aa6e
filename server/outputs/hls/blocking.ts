/**
 * Parked requests of one timeline: blocking playlist reloads and requests
 * for a part that does not exist yet (RFC 8216bis §6.2.5.2, §6.2.6).
 *
 * Requests that wait for the same thing share a bucket (one condition, one
 * key such as "msn 12 part 3"); every timeline update tests each bucket's
 * condition once, however many requests it holds. Live clients all ask for
 * the next part or two, so there are a handful of buckets. Nothing polls:
 * updates come from the stream's events, and deadlines from one timer armed
 * for the oldest parked request (the timeout is the same for all, so the
 * arrival order is the deadline order).
 */

export interface Waiter {
  /** The condition holds: answer now. Called at most once, and never after `expired`. */
  readonly ready: () => void;
  /** The deadline passed first. */
  readonly expired: () => void;
}

interface Parked {
  readonly bucket: Bucket;
  readonly deadline: number;
  readonly waiter: Waiter;
  settled: boolean;
}

interface Bucket {
  readonly key: string;
  readonly test: () => boolean;
  readonly parked: Set<Parked>;
}

export class BlockingWaiters {
  readonly #buckets = new Map<string, Bucket>();
  /** Every parked request in arrival (= deadline) order; settled ones are skipped when reached. */
  #queue: Parked[] = [];
  #head = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #timerAt = Infinity;
  #size = 0;

  /** Requests waiting now. */
  get size(): number {
    return this.#size;
  }

  /**
   * Parks `waiter` until `test()` holds (checked on each `update()`) or
   * `timeoutMs` passes. Requests with the same `key` must pass the same test.
   * Returns a cancel function for when the client goes away.
   */
  park(key: string, test: () => boolean, timeoutMs: number, waiter: Waiter): () => void {
    let bucket = this.#buckets.get(key);
    if (!bucket) {
      bucket = { key, test, parked: new Set() };
      this.#buckets.set(key, bucket);
    }
    const parked: Parked = { bucket, deadline: Date.now() + timeoutMs, waiter, settled: false };
    bucket.parked.add(parked);
    this.#queue.push(parked);
    this.#size++;
    this.#arm(parked.deadline);
    return () => this.#settle(parked);
  }

  /** The timeline changed: answers every bucket whose condition now holds. */
  update(): void {
    for (const bucket of this.#buckets.values()) {
      if (!bucket.test()) continue;
      this.#buckets.delete(bucket.key);
      for (const parked of bucket.parked) {
        if (this.#settle(parked)) parked.waiter.ready();
      }
    }
  }

  /** Ends every parked request through `expired` (the stream went away). */
  expireAll(): void {
    for (let i = this.#head; i < this.#queue.length; i++) {
      const parked = this.#queue[i]!;
      if (this.#settle(parked)) parked.waiter.expired();
    }
    this.#queue = [];
    this.#head = 0;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerAt = Infinity;
  }

  /** Marks a request done and forgets it; false when it already was. */
  #settle(parked: Parked): boolean {
    if (parked.settled) return false;
    parked.settled = true;
    this.#size--;
    const { bucket } = parked;
    bucket.parked.delete(parked);
    if (bucket.parked.size === 0 && this.#buckets.get(bucket.key) === bucket) this.#buckets.delete(bucket.key);
    return true;
  }

  #arm(deadline: number): void {
    if (this.#timer !== undefined && this.#timerAt <= deadline) return;
    clearTimeout(this.#timer);
    this.#timerAt = deadline;
    this.#timer = setTimeout(() => this.#expireDue(), Math.max(0, deadline - Date.now()));
  }

  #expireDue(): void {
    this.#timer = undefined;
    this.#timerAt = Infinity;
    const now = Date.now();
    while (this.#head < this.#queue.length) {
      const parked = this.#queue[this.#head]!;
      if (!parked.settled && parked.deadline > now) break;
      this.#head++;
      if (this.#settle(parked)) parked.waiter.expired();
    }
    // Drop the consumed head once it is most of the array: amortized O(1) per request.
    if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
    // The loop stopped at the oldest request still waiting, if any.
    const next = this.#queue[this.#head];
    if (next) this.#arm(next.deadline);
  }
}
