export interface ReconnectOptions {
  /** First reconnect delay (ms), doubled per failure up to maxReconnectMs, with jitter. Default 500. */
  readonly reconnectMs?: number;
  /** Default 10 000. */
  readonly maxReconnectMs?: number;
}

/**
 * The delay (ms) before the next attempt after `failures` failed ones:
 * exponential and capped, then jittered to 50-100 % so that viewers
 * dropped together (a server restart) do not all come back in one instant.
 */
export function nextDelay(options: ReconnectOptions, failures: number): number {
  const delay = Math.min(options.maxReconnectMs ?? 10_000, (options.reconnectMs ?? 500) * 2 ** failures);
  return Math.round(delay * (0.5 + Math.random() * 0.5));
}
