import { FragcastError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { Source } from '../sources/source.ts';
import { SafeEmitter } from '../safe-emitter.ts';
import { Stream, type StreamOptions } from './stream.ts';
import { isValidStreamName } from './stream-name.ts';

export interface StreamEntry {
  readonly stream: Stream;
  readonly source: Source;
}

export interface RegistryEvents {
  [event: string]: unknown[];
  /** A stream was added, just before its source starts. Outputs that record every stream (HLS) attach here. */
  added: [Stream];
}

/**
 * The running streams by name, each wired to its source: source bytes go
 * into the stream; malformed input restarts the source; a source's new run
 * starts a fresh parse. (The configuration issue adds reconciliation.)
 */
export class StreamRegistry extends SafeEmitter<RegistryEvents> {
  readonly #entries = new Map<string, StreamEntry>();
  readonly #log: Logger;

  constructor(logger: Logger) {
    super();
    this.#log = logger;
    this.onListenerError = (error, event) => logger.error({ err: error, event }, 'registry listener failed');
  }

  get(name: string): Stream | undefined {
    return this.#entries.get(name)?.stream;
  }

  entry(name: string): StreamEntry | undefined {
    return this.#entries.get(name);
  }

  entries(): IterableIterator<StreamEntry> {
    return this.#entries.values();
  }

  get size(): number {
    return this.#entries.size;
  }

  add(name: string, source: Source, options: StreamOptions = {}): Stream {
    if (!isValidStreamName(name)) throw new FragcastError('INVALID_STREAM_NAME', { stream: name });
    if (this.#entries.has(name)) throw new FragcastError('INVALID_ARGUMENT', { what: `stream "${name}" already exists` });
    const stream = new Stream(name, options);
    const log = this.#log.child({ stream: name });
    stream.onListenerError = (error, event) => log.error({ err: error, event }, 'stream listener failed');
    source.onListenerError = (error, event) => log.error({ err: error, event }, 'source listener failed');
    source.on('data', (chunk) => stream.write(chunk));
    source.on('exit', () => stream.endInput());
    stream.on('input-error', (error) => {
      log.error({ code: error.code, err: error.message }, 'malformed media from the source; restarting it');
      source.restart(`${error.code}: ${error.message}`);
    });
    stream.on('init', (init) =>
      log.info({ generation: init.generation, mime: init.info.mime }, 'new init segment'),
    );
    this.#entries.set(name, { stream, source });
    this.safeEmit('added', stream);
    source.start();
    return stream;
  }

  async remove(name: string): Promise<void> {
    const entry = this.#entries.get(name);
    if (!entry) return;
    this.#entries.delete(name);
    await entry.source.close();
    entry.stream.close();
  }

  async close(): Promise<void> {
    await Promise.all([...this.#entries.keys()].map((name) => this.remove(name)));
  }
}
