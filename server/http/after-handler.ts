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
const pending: (() => void)[] = [];

function runPending(): void {
  // Work queued while this runs waits for the next turn.
  for (const work of pending.splice(0)) {
    try {
      work();
    } catch (error) {
      // The rest still runs; the error surfaces as a listener's does (SafeEmitter).
      process.nextTick(() => {
        throw error;
      });
    }
  }
}

/** Runs `work` once the current uWS handler has returned, after any work queued before it. */
export function afterHandler(work: () => void): void {
  if (pending.push(work) === 1) setImmediate(runPending);
}
