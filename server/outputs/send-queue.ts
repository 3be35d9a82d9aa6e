/** A message for a viewer: a string goes as a WebSocket text message, a Buffer as bytes. */
export type QueuedMessage = Buffer | string;

/**
 * What a viewer's connection could not take yet, in order: references to the
 * buffers the stream already holds (a fragment is one buffer shared by every
 * viewer), sent as the connection drains.
 *
 * Why not let uWS buffer it: uWS copies whatever the socket does not accept
 * into a buffer of that connection's own, so a viewer 1 MiB behind cost 1 MiB
 * of memory by itself, and a GOP replayed to a thousand new viewers, a
 * thousand copies. Held here, a lagging viewer costs at most the one message
 * uWS is part-way through plus an array of references, and the fragments it
 * pins are the ones the GOP cache and the other viewers share.
 */
export class SendQueue {
  #items: (QueuedMessage | undefined)[] = [];
  #head = 0;
  #bytes = 0;

  /** Bytes waiting (a string counts its length: control messages are ASCII JSON). */
  get bytes(): number {
    return this.#bytes;
  }

  get empty(): boolean {
    return this.#head === this.#items.length;
  }

  push(message: QueuedMessage): void {
    this.#items.push(message);
    this.#bytes += message.length;
  }

  /**
   * Hands the waiting messages to `send`, oldest first, until it returns
   * false: the transport had to buffer that one, so the rest wait for the
   * next drain.
   */
  flush(send: (message: QueuedMessage) => boolean): void {
    const items = this.#items;
    while (this.#head < items.length) {
      const message = items[this.#head]!;
      // Let go of the reference at once: the queue must not pin what has gone out.
      items[this.#head++] = undefined;
      this.#bytes -= message.length;
      if (!send(message)) break;
    }
    if (this.#head === items.length) {
      this.#items = [];
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > items.length) {
      this.#items = items.slice(this.#head);
      this.#head = 0;
    }
  }

  clear(): void {
    this.#items = [];
    this.#head = 0;
    this.#bytes = 0;
  }
}
