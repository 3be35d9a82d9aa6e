import type { Logger } from '../logger.ts';

/**
 * Work that must not run inside the uWS handler that asks for it runs here,
 * on the next turn of the event loop (setImmediate), in the order asked.
 *
 * Why: uWS runs a socket's handlers (HTTP `onData`, WebSocket `open` and
 * `message`) with that socket corked. A send made in there to any other
 * socket can neither use the loop's cork buffer nor, for a WebSocket
 * message, take uWS's uncopied write: uWS copies the message into the
 * receiving socket's own buffer, which it clears but never shrinks
 * (AsyncSocket::getSendBuffer). And a send to the handler's own socket queues
 * behind what is corked: in `open`, the 101 response. So the fragments that
 * a publisher's bytes complete fan out to viewers from here, and so does a
 * viewer's instant start (docs/benchmarks.md, "Memory per viewer").
 */
export class AfterHandler {
  readonly #log: Logger;
  #pending: (() => void)[] = [];
  readonly #runPending = (): void => {
    const batch = this.#pending;
    // Work queued while this batch runs waits for the next turn.
    this.#pending = [];
    for (const work of batch) {
      try {
        work();
      } catch (error) {
        // One failed piece of work (a bug) is logged, like a stream listener's; the rest and the server go on.
        this.#log.error({ err: error }, 'work deferred from a uWS handler failed');
      }
    }
  };

  constructor(logger: Logger) {
    this.#log = logger;
  }

  /** Runs `work` once the current uWS handler has returned, after any work queued before it. */
  readonly run = (work: () => void): void => {
    if (this.#pending.push(work) === 1) setImmediate(this.#runPending);
  };
}
