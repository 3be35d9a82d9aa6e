/** A message for a viewer: a string goes as a WebSocket text message, a Buffer as bytes. */
export type QueuedMessage = Buffer | string;

/** The transport under a SendQueue: one viewer's connection. */
export interface Outlet {
  /** Bytes the transport holds for this connection because the socket has not taken them yet. */
  heldBytes(): number;
  /** Hands a message to the transport. False: the socket took only part of it, and the transport holds the rest. */
  send(message: QueuedMessage): boolean;
}

/**
 * Sends a viewer's messages in order, holding back what its connection
 * cannot take yet: references to the buffers the stream already holds (a
 * fragment is one buffer shared by every viewer), sent as the connection
 * drains.
 *
 * Why not let uWS buffer it: uWS copies whatever the socket does not accept
 * into a buffer of that connection's own, so a viewer 1 MiB behind cost 1 MiB
 * of memory by itself, and a GOP replayed to a thousand new viewers, a
 * thousand copies. Held here, a lagging viewer costs at most the one message
 * uWS is part-way through plus an array of references, and the fragments it
 * pins are the ones the GOP cache and the other viewers share.
 */
export class SendQueue {
  readonly #outlet: Outlet;
  #items: (QueuedMessage | undefined)[] = [];
  #head = 0;
  #queuedBytes = 0;

  constructor(outlet: Outlet) {
    this.#outlet = outlet;
  }

  /** Bytes not yet taken by the socket: what the transport holds and what waits here (a string counts its length: control messages are ASCII JSON). */
  get bytes(): number {
    return this.#outlet.heldBytes() + this.#queuedBytes;
  }

  /** Nothing waits here (the transport may still hold part of a message). */
  get empty(): boolean {
    return this.#head === this.#items.length;
  }

  /** Straight to the transport when nothing waits and it holds nothing; else behind what waits. */
  send(message: QueuedMessage): void {
    if (this.empty && this.#outlet.heldBytes() === 0) {
      this.#outlet.send(message);
      return;
    }
    this.#items.push(message);
    this.#queuedBytes += message.length;
  }

  /**
   * The connection drained: once the transport holds nothing, hands over
   * what waits, oldest first, until the socket takes only part of a message
   * (the rest wait for the next drain). With nothing waiting it does nothing:
   * drains come per viewer per writable event.
   */
  flush(): void {
    if (this.empty || this.#outlet.heldBytes() > 0) return;
    const items = this.#items;
    while (this.#head < items.length) {
      const message = items[this.#head]!;
      // Let go of the reference at once: the queue must not pin what has gone out.
      items[this.#head++] = undefined;
      this.#queuedBytes -= message.length;
      if (!this.#outlet.send(message)) break;
    }
    if (this.#head === items.length) {
      this.#items = [];
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > items.length) {
      this.#items = items.slice(this.#head);
      this.#head = 0;
    }
  }

  /** Drops what waits (the connection is ending). */
  clear(): void {
    this.#items = [];
    this.#head = 0;
    this.#queuedBytes = 0;
  }
}
