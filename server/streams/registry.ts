import { FragcastError, type ErrorCode } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { Source, SourceExit } from '../sources/source.ts';
import type { GopCacheOptions } from './gop-cache.ts';
import { Stream } from './stream.ts';
import { isValidStreamName } from './stream-name.ts';

/** The newest thing that went wrong with a stream's input, for operators (API, stats). */
export interface StreamIssue {
  readonly code: ErrorCode;
  readonly message: string;
  /** Unix ms. */
  readonly atMs: number;
}

export interface StreamEntry {
  readonly stream: Stream;
  readonly source: Source;
  /** Malformed media, or the source exiting by itself; undefined while nothing went wrong. */
  readonly lastError: StreamIssue | undefined;
}

/** A source that ended without being asked to is worth telling an operator, even with exit code 0: a live source should not end. */
function exitIssue(exit: SourceExit): StreamIssue | undefined {
  if (exit.reason !== undefined) return undefined;
  const error = new FragcastError('SOURCE_EXITED', {
    how: exit.signal ? `signal ${exit.signal}` : `code ${exit.code}`,
    seconds: (exit.ranForMs / 1000).toFixed(1),
    said: exit.lastMessage ? `: ${exit.lastMessage}` : '',
  });
  return { code: error.code, message: error.message, atMs: Date.now() };
}

/**
 * The running streams by name, each wired to its source: source bytes go
 * into the stream; malformed input restarts the source; a source's new run
 * starts a fresh parse. (The configuration issue adds reconciliation.)
 */
export class StreamRegistry {
  readonly #entries = new Map<string, { stream: Stream; source: Source; lastError: StreamIssue | undefined }>();
  readonly #log: Logger;

  constructor(logger: Logger) {
    this.#log = logger;
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

  add(name: string, source: Source, options: { cache?: Partial<GopCacheOptions> } = {}): Stream {
    if (!isValidStreamName(name)) throw new FragcastError('INVALID_STREAM_NAME', { stream: name });
    if (this.#entries.has(name)) throw new FragcastError('INVALID_ARGUMENT', { what: `stream "${name}" already exists` });
    const stream = new Stream(name, options);
    const log = this.#log.child({ stream: name });
    stream.onListenerError = (error, event) => log.error({ err: error, event }, 'stream listener failed');
    source.onListenerError = (error, event) => log.error({ err: error, event }, 'source listener failed');
    const entry = { stream, source, lastError: undefined as StreamIssue | undefined };
    source.on('data', (chunk) => stream.write(chunk));
    // A run fragcast ended itself is usually cut mid-box: that truncation is no news to an operator.
    let endedOnPurpose = false;
    source.on('exit', (exit) => {
      endedOnPurpose = exit.reason !== undefined;
      stream.endInput();
      endedOnPurpose = false;
      entry.lastError = exitIssue(exit) ?? entry.lastError;
    });
    stream.on('input-error', (error) => {
      if (!endedOnPurpose) entry.lastError = { code: error.code, message: error.message, atMs: Date.now() };
      log.error({ code: error.code, err: error.message }, 'malformed media from the source; restarting it');
      source.restart(`${error.code}: ${error.message}`);
    });
    stream.on('init', (init) =>
      log.info({ generation: init.generation, mime: init.info.mime }, 'new init segment'),
    );
    this.#entries.set(name, entry);
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
