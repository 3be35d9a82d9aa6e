/**
 * A least-recently-used cache bounded in entries and in bytes (each value
 * states its size). A Map keeps insertion order, so re-inserting on a hit
 * makes the oldest key the first one iterated: eviction is O(1).
 */
export class LruCache<V> {
  readonly maxEntries: number;
  readonly maxBytes: number;
  readonly #map = new Map<string, { value: V; bytes: number }>();
  #bytes = 0;

  constructor(maxEntries: number, maxBytes: number) {
    this.maxEntries = maxEntries;
    this.maxBytes = maxBytes;
  }

  get size(): number {
    return this.#map.size;
  }

  get bytes(): number {
    return this.#bytes;
  }

  get(key: string): V | undefined {
    const entry = this.#map.get(key);
    if (!entry) return undefined;
    this.#map.delete(key);
    this.#map.set(key, entry);
    return entry.value;
  }

  /** Stores `value`, evicting the least recently used until both bounds hold. A value over maxBytes alone is not stored. */
  set(key: string, value: V, bytes: number): void {
    this.delete(key);
    if (bytes > this.maxBytes) return;
    this.#map.set(key, { value, bytes });
    this.#bytes += bytes;
    while (this.#map.size > this.maxEntries || this.#bytes > this.maxBytes) this.delete(this.#map.keys().next().value!);
  }

  delete(key: string): void {
    const entry = this.#map.get(key);
    if (!entry) return;
    this.#map.delete(key);
    this.#bytes -= entry.bytes;
  }

  clear(): void {
    this.#map.clear();
    this.#bytes = 0;
  }
}
