import { isDeepStrictEqual } from 'node:util';
import { FragcastError, type ErrorCode } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { SafeEmitter } from '../safe-emitter.ts';
import type { Source, SourceExit } from '../sources/source.ts';
import type { GopCacheOptions } from './gop-cache.ts';
import { Stream } from './stream.ts';
import { isValidStreamName } from './stream-name.ts';

export interface StreamOptions {
  readonly cache?: Partial<GopCacheOptions>;
  /** Run the source only while the stream has consumers, and stop it this long after the last one left. */
  readonly onDemand?: { readonly stopAfterMs: number } | undefined;
}

/** The newest thing that went wrong with a stream's input, for operators (API, stats). */
export interface StreamIssue {
  readonly code: ErrorCode;
  readonly message: string;
  /** Unix ms. */
  readonly atMs: number;
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

export interface StreamEntry {
  readonly stream: Stream;
  readonly source: Source;
  /** Malformed media, or the source exiting by itself; undefined while nothing went wrong. */
  readonly lastError: StreamIssue | undefined;
  readonly options: StreamOptions;
  /** What the entry was built from (a configured stream); undefined for a stream added by code. */
  readonly definition: unknown;
}

/** A stream the configuration asks for. */
export interface DesiredStream {
  /** Compared deeply with the running one's: any difference restarts the stream's source. */
  readonly definition: unknown;
  readonly options: StreamOptions;
  /** A stream that must exist first (a variant's parent). */
  readonly after?: string | undefined;
}

/** Builds the source of a desired stream; the streams it depends on already exist. */
export type SourceBuilder = (name: string, desired: DesiredStream) => Source;

export interface ReconcileReport {
  readonly added: string[];
  readonly removed: string[];
  readonly restarted: string[];
  readonly unchanged: string[];
}

interface LiveEntry {
  stream: Stream;
  source: Source;
  options: StreamOptions;
  definition: unknown;
  /** Detaches the registry's listeners from the source. */
  unwire: () => void;
  stopTimer: NodeJS.Timeout | undefined;
  /** Ongoing on-demand stop, so a new viewer restarts only after it. */
  stopping: Promise<void> | undefined;
  lastError: StreamIssue | undefined;
  /** True while the stream's input is ended because fragcast ended the run: its truncation is no news. */
  endedOnPurpose: boolean;
}

export interface RegistryEvents {
  [event: string]: unknown[];
  /** A stream was added, just before its source starts. Outputs that record every stream (HLS) attach here. */
  added: [Stream];
}

/**
 * The running streams by name, each wired to its source: source bytes go
 * into the stream; malformed input restarts the source; the end of a run
 * ends the stream's input. It reconciles the running streams with the
 * configuration, and runs on-demand sources while their stream has
 * consumers.
 */
export class StreamRegistry extends SafeEmitter<RegistryEvents> {
  readonly #entries = new Map<string, LiveEntry>();
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

  *entries(): IterableIterator<StreamEntry> {
    yield* this.#entries.values();
  }

  get size(): number {
    return this.#entries.size;
  }

  /** Adds a stream fed by `source`; the source starts now, or with the first consumer when on demand. */
  add(name: string, source: Source, options: StreamOptions = {}, definition?: unknown): Stream {
    if (!isValidStreamName(name)) throw new FragcastError('INVALID_STREAM_NAME', { stream: name });
    if (this.#entries.has(name)) throw new FragcastError('INVALID_ARGUMENT', { what: `stream "${name}" already exists` });
    const stream = new Stream(name, options.cache ? { cache: options.cache } : {});
    const log = this.#log.child({ stream: name });
    stream.onListenerError = (error, event) => log.error({ err: error, event }, 'stream listener failed');
    const entry: LiveEntry = { stream, source, options, definition, unwire: () => {}, stopTimer: undefined, stopping: undefined, lastError: undefined, endedOnPurpose: false };
    stream.on('input-error', (error) => {
      if (!entry.endedOnPurpose) entry.lastError = { code: error.code, message: error.message, atMs: Date.now() };
      log.error({ code: error.code, err: error.message }, 'malformed media from the source; restarting it');
      entry.source.restart(`${error.code}: ${error.message}`);
    });
    stream.on('init', (init) => log.info({ generation: init.generation, mime: init.info.mime }, 'new init segment'));
    stream.on('demand', (count) => this.#onDemand(entry, count));
    this.#entries.set(name, entry);
    this.safeEmit('added', stream);
    this.#wire(entry, source);
    return stream;
  }

  async remove(name: string): Promise<void> {
    const entry = this.#entries.get(name);
    if (!entry) return;
    this.#entries.delete(name);
    clearTimeout(entry.stopTimer);
    await entry.source.close();
    entry.unwire();
    entry.stream.close();
  }

  /**
   * Makes the running streams match `desired` (a configuration): adds the
   * new, removes the missing, gives a changed stream a new source — the
   * stream itself stays, so its viewers stay connected and receive the new
   * source's init — and leaves the unchanged alone, viewers and all.
   * Streams added by code (no definition) are left alone unless `desired`
   * names them.
   */
  async reconcile(desired: ReadonlyMap<string, DesiredStream>, build: SourceBuilder): Promise<ReconcileReport> {
    const report: ReconcileReport = { added: [], removed: [], restarted: [], unchanged: [] };
    for (const [name, entry] of [...this.#entries]) {
      if (entry.definition !== undefined && !desired.has(name)) {
        report.removed.push(name);
        await this.remove(name);
      }
    }
    for (const name of dependencyOrder(desired)) {
      const want = desired.get(name)!;
      const entry = this.#entries.get(name);
      if (!entry) {
        this.add(name, build(name, want), want.options, want.definition);
        report.added.push(name);
      } else if (isDeepStrictEqual(entry.definition, want.definition)) {
        report.unchanged.push(name);
      } else {
        await this.#replaceSource(entry, build(name, want), want);
        report.restarted.push(name);
      }
    }
    return report;
  }

  async close(): Promise<void> {
    await Promise.all([...this.#entries.keys()].map((name) => this.remove(name)));
  }

  #wire(entry: LiveEntry, source: Source): void {
    const { stream } = entry;
    const log = this.#log.child({ stream: stream.name });
    source.onListenerError = (error, event) => log.error({ err: error, event }, 'source listener failed');
    const onData = (chunk: Buffer): void => stream.write(chunk);
    const onExit = (exit: SourceExit): void => {
      // A run fragcast ended itself is usually cut mid-box: that truncation is no news to an operator.
      entry.endedOnPurpose = exit.reason !== undefined;
      stream.endInput();
      entry.endedOnPurpose = false;
      entry.lastError = exitIssue(exit) ?? entry.lastError;
    };
    source.on('data', onData).on('exit', onExit);
    entry.source = source;
    entry.unwire = () => source.off('data', onData).off('exit', onExit);
    if (!entry.options.onDemand || stream.demand > 0) source.start();
  }

  async #replaceSource(entry: LiveEntry, source: Source, want: DesiredStream): Promise<void> {
    clearTimeout(entry.stopTimer);
    entry.stopTimer = undefined;
    // The old one must be gone first: a camera may take one connection only.
    await entry.source.close();
    entry.unwire();
    if (!isDeepStrictEqual(entry.options.cache, want.options.cache)) entry.stream.configureCache(want.options.cache ?? {});
    entry.options = want.options;
    entry.definition = want.definition;
    this.#wire(entry, source);
  }

  /** On-demand: start with the first consumer; stop `stopAfterMs` after the last one left. */
  #onDemand(entry: LiveEntry, count: number): void {
    const onDemand = entry.options.onDemand;
    if (!onDemand || this.#entries.get(entry.stream.name) !== entry) return;
    const log = this.#log.child({ stream: entry.stream.name });
    if (count > 0) {
      clearTimeout(entry.stopTimer);
      entry.stopTimer = undefined;
      if (entry.source.state !== 'idle') return;
      const source = entry.source;
      const start = (): void => {
        if (entry.source !== source || entry.stream.demand === 0 || source.state !== 'idle') return;
        log.info({ consumers: count }, 'on-demand stream wanted; starting its source');
        source.start();
      };
      if (entry.stopping) void entry.stopping.then(start);
      else start();
      return;
    }
    if (entry.stopTimer || entry.source.state === 'idle') return;
    entry.stopTimer = setTimeout(() => {
      entry.stopTimer = undefined;
      if (entry.stream.demand > 0) return;
      log.info({ afterMs: onDemand.stopAfterMs }, 'on-demand stream has no consumers; stopping its source');
      // stop() emits 'exit' (the stream's input ends) before it returns; then nothing stale is left to show.
      const stopping: Promise<void> = entry.source.stop().finally(() => {
        if (entry.stopping === stopping) entry.stopping = undefined;
      });
      entry.stopping = stopping;
      entry.stream.reset();
    }, onDemand.stopAfterMs);
  }
}

/** Names in an order where each stream comes after the one it depends on (the config has no cycles). */
function dependencyOrder(desired: ReadonlyMap<string, DesiredStream>): string[] {
  const order: string[] = [];
  const placed = new Set<string>();
  const place = (name: string, depth: number): void => {
    if (placed.has(name) || depth > desired.size) return;
    const after = desired.get(name)?.after;
    if (after !== undefined && desired.has(after)) place(after, depth + 1);
    placed.add(name);
    order.push(name);
  };
  for (const name of desired.keys()) place(name, 0);
  return order;
}
