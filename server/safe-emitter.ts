import { EventEmitter } from 'node:events';

/** Map of event name to listener argument tuple, e.g. `{ close: []; init: [InitSegment] }`. */
export type EventMap = Record<string, unknown[]>;

type Listener<Args extends unknown[]> = (...args: Args) => void;

/**
 * A typed EventEmitter whose `safeEmit` catches a listener's exception and
 * reports it on `onListenerError`, so one faulty subscriber (an output, a
 * test) cannot break the loop that fans a fragment out to the others.
 */
export class SafeEmitter<Events extends EventMap> {
  readonly #emitter = new EventEmitter();

  constructor() {
    // Outputs subscribe once per stream, not per viewer; more than a few dozen listeners is a leak.
    this.#emitter.setMaxListeners(64);
  }

  /** Called with the error a listener threw. Defaults to rethrowing on the next tick (crash loudly in tests). */
  onListenerError: (error: unknown, event: string) => void = (error) => {
    process.nextTick(() => {
      throw error;
    });
  };

  on<K extends keyof Events & string>(event: K, listener: Listener<Events[K]>): this {
    this.#emitter.on(event, listener as Listener<unknown[]>);
    return this;
  }

  once<K extends keyof Events & string>(event: K, listener: Listener<Events[K]>): this {
    this.#emitter.once(event, listener as Listener<unknown[]>);
    return this;
  }

  off<K extends keyof Events & string>(event: K, listener: Listener<Events[K]>): this {
    this.#emitter.off(event, listener as Listener<unknown[]>);
    return this;
  }

  listenerCount<K extends keyof Events & string>(event: K): number {
    return this.#emitter.listenerCount(event);
  }

  protected safeEmit<K extends keyof Events & string>(event: K, ...args: Events[K]): void {
    for (const listener of this.#emitter.rawListeners(event) as Listener<Events[K]>[]) {
      try {
        listener(...args);
      } catch (error) {
        this.onListenerError(error, event);
      }
    }
  }

  protected removeAllListeners(): void {
    this.#emitter.removeAllListeners();
  }
}
