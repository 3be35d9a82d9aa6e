/**
 * A token bucket: `ratePerSecond` tokens flow in, at most `depth` are kept.
 * Rate limits that allow a burst (an encoder's first GOP, a player's few
 * control messages at once) but not a sustained excess.
 */
export class TokenBucket {
  readonly #rate: number;
  readonly #depth: number;
  #tokens: number;
  #at: number;

  constructor(ratePerSecond: number, depth: number, nowMs = performance.now()) {
    this.#rate = ratePerSecond;
    this.#depth = depth;
    this.#tokens = depth;
    this.#at = nowMs;
  }

  /** Takes `amount` tokens; false when there were not that many (they are taken anyway: an excess is not forgotten). */
  take(amount: number, nowMs = performance.now()): boolean {
    this.#tokens = Math.min(this.#depth, this.#tokens + ((nowMs - this.#at) / 1000) * this.#rate);
    this.#at = nowMs;
    this.#tokens -= amount;
    return this.#tokens >= 0;
  }
}
