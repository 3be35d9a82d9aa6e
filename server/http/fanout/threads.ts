import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import pino from 'pino';
import { FragcastError, type ErrorCode } from '../../errors.ts';
import type { Logger } from '../../logger.ts';
import { RemoteViewerSession, type RemoteCounters } from '../../outputs/remote-session.ts';
import type { KeyframeSentObserver } from '../../outputs/viewer-session.ts';
import { PACKAGE_ROOT } from '../../package-root.ts';
import type { Fragment, InitRecord } from '../../streams/fragment.ts';
import type { Marker } from '../../streams/markers.ts';
import type { StreamRegistry } from '../../streams/registry.ts';
import type { Stream, StreamOptions } from '../../streams/stream.ts';
import type { Router } from '../router.ts';
import { BridgedResponse, type BridgedWebSocket, type BridgeEnd } from './bridged.ts';
import { exactBytes, type FromThread, type ThreadSetup, type ToThread, type ViewerOrder } from './messages.ts';

export interface FanoutThreadsOptions {
  readonly count: number;
  readonly setup: Omit<ThreadSetup, 'index'>;
  readonly router: Router;
  readonly registry: StreamRegistry;
  readonly logger: Logger;
  readonly keyframeSent?: KeyframeSentObserver | undefined;
}

/** A thread that died is started again after this long (ms), doubling up to a minute while it cannot listen. */
const RESTART_DELAY_MS = 1000;
const MAX_RESTART_DELAY_MS = 60_000;
/**
 * Bytes of fragments a thread may have waiting in its port before it is sent
 * no more of a stream until the stream's next keyframe (its viewers then skip,
 * as a slow viewer's gate makes it): a thread that cannot keep up must not
 * grow the process without bound. 16 s of an 8 Mbit/s stream.
 */
const MAX_THREAD_BACKLOG_BYTES = 16 * 1024 * 1024;

/**
 * The fan-out threads (config `listen.fanout_threads`): worker threads, each
 * with its own uWS app listening on the server's port (SO_REUSEPORT: the
 * kernel spreads new connections over them). This thread no longer accepts.
 *
 * Why: the sends to thousands of viewers are most of a busy server's work,
 * and one thread's sends reach 25.6-33.1 Gbit/s over loopback even from C on
 * the bench machine (docs/benchmarks.md, "The machine's floor"); threads
 * spread them over the cores, and leave this one to its sources.
 *
 * This thread stays the origin: every stream, source and decision is here.
 * A thread sends each request it receives here, where the Router runs the
 * route it would have run locally (door, limits, handler) on a
 * BridgedResponse, and the thread applies the answer. A viewer of
 * live.mp4 or the WebSocket output is the exception that is the point:
 * admitted here, it is served by the thread from its replica of the stream,
 * which this class feeds with every init, fragment and marker; a
 * RemoteViewerSession stands for it in Viewers.
 */
export class FanoutThreads {
  readonly #options: FanoutThreadsOptions;
  readonly #threads: FanoutThread[] = [];
  readonly #unwatch = new Set<() => void>();
  /** Restarts under way: stop() waits for them, and stops what they started. */
  readonly #restarts = new Set<Promise<unknown>>();
  #stopping: ErrorCode | undefined;

  private constructor(options: FanoutThreadsOptions) {
    this.#options = options;
  }

  /** Starts the threads and resolves when every one listens; rejects (LISTEN_FAILED's why) when one cannot. */
  static async start(options: FanoutThreadsOptions): Promise<FanoutThreads> {
    const threads = new FanoutThreads(options);
    const onAdded = (stream: Stream): void => threads.#watch(stream);
    options.registry.on('added', onAdded);
    threads.#unwatch.add(() => options.registry.off('added', onAdded));
    for (const { stream } of options.registry.entries()) threads.#watch(stream);
    try {
      for (let index = 0; index < options.count; index++) threads.#threads.push(await threads.#spawn(index));
    } catch (error) {
      await threads.stop('SERVER_SHUTTING_DOWN');
      throw error;
    }
    return threads;
  }

  /** Stops accepting connections (the server is closing); open ones go on until stop(). */
  unlisten(): void {
    for (const thread of this.#threads) thread.post({ t: 'unlisten' });
  }

  /** Tells every thread to end its connections and exit; resolves when they have. */
  async stop(reason: ErrorCode): Promise<void> {
    this.#stopping = reason;
    for (const unwatch of this.#unwatch) unwatch();
    this.#unwatch.clear();
    await Promise.all([...this.#restarts]);
    await Promise.all(this.#threads.map((thread) => thread.stop(reason)));
  }

  /** Reads the TLS files again in every thread (SIGHUP; the caller checked them first); resolves when each listens with them, or kept its own. */
  async reloadCertificates(): Promise<void> {
    const results = await Promise.all(this.#threads.map((thread) => thread.reloadCertificates()));
    if (results.includes(false)) throw new FragcastError('LISTEN_FAILED', { host: this.#options.setup.host, port: this.#options.setup.port });
  }

  #broadcast(message: ToThread): void {
    for (const thread of this.#threads) thread.post(message);
  }

  async #spawn(index: number): Promise<FanoutThread> {
    const thread = new FanoutThread(index, this.#options, () => this.#restart(index, RESTART_DELAY_MS));
    await thread.started;
    // What it missed before it listened: every stream, its init and newest GOP, so that a viewer starts at once.
    for (const { stream } of this.#options.registry.entries()) for (const message of replicaOf(stream)) thread.post(message);
    return thread;
  }

  /** Starts thread `index` again after `delayMs`, on the same port; its viewers were told (their twins closed). */
  #restart(index: number, delayMs: number): void {
    if (this.#stopping) return;
    const log = this.#options.logger;
    const restart = new Promise<void>((resolve) => setTimeout(resolve, delayMs).unref())
      .then(() => (this.#stopping ? undefined : this.#spawn(index)))
      .then(
        async (fresh) => {
          if (!fresh) return;
          if (this.#stopping) return fresh.stop(this.#stopping);
          this.#threads[index] = fresh;
          log.info({ thread: index }, 'fan-out thread started again');
        },
        (error: Error) => {
          log.error({ thread: index, err: error.message }, 'a fan-out thread could not be started again; trying later');
          this.#restart(index, Math.min(delayMs * 2, MAX_RESTART_DELAY_MS));
        },
      )
      .finally(() => this.#restarts.delete(restart));
    this.#restarts.add(restart);
  }

  /** Feeds every thread's replica of `stream` as the stream goes. */
  #watch(stream: Stream): void {
    const name = stream.name;
    this.#broadcast({ t: 'stream', name, options: optionsOf(stream) });
    const onInit = (init: InitRecord): void => this.#broadcast({ t: 'init', name, init: { ...init, bytes: exactBytes(init.bytes) } });
    const onFragments = (fragments: readonly Fragment[]): void => {
      const portables = fragments.map(portable);
      for (const thread of this.#threads) thread.postFragments(name, portables);
    };
    const onMarker = (marker: Marker): void => this.#broadcast({ t: 'marker', name, marker });
    const onReset = (): void => this.#broadcast({ t: 'reset', name });
    const onClose = (): void => {
      unwatch();
      this.#unwatch.delete(unwatch);
      this.#broadcast({ t: 'unstream', name });
    };
    const unwatch = (): void => {
      stream.off('init', onInit).off('fragments', onFragments).off('marker', onMarker).off('reset', onReset).off('close', onClose);
    };
    stream.on('init', onInit).on('fragments', onFragments).on('marker', onMarker).on('reset', onReset).on('close', onClose);
    this.#unwatch.add(unwatch);
  }
}

function optionsOf(stream: Stream): StreamOptions {
  return { cache: stream.cache.options, markers: stream.markers.options };
}

/** The messages that bring a new thread's replica of `stream` up to now. */
function replicaOf(stream: Stream): ToThread[] {
  const name = stream.name;
  const messages: ToThread[] = [{ t: 'stream', name, options: optionsOf(stream) }];
  for (const marker of stream.markers.list()) messages.push({ t: 'marker', name, marker });
  const init = stream.init;
  if (!init) return messages;
  messages.push({ t: 'init', name, init: { ...init, bytes: exactBytes(init.bytes) } });
  const gop = stream.cache.newest;
  if (gop) messages.push({ t: 'fragments', name, fragments: gop.fragments.filter((f) => f.generation === init.generation).map(portable) });
  return messages;
}

/** A fragment as it crosses to a thread (exactBytes); it arrives with a Uint8Array, which the thread makes a Buffer again. */
function portable(fragment: Fragment): Fragment {
  return { ...fragment, bytes: exactBytes(fragment.bytes) };
}

/**
 * Starts a thread's code: the bundle beside the server's (npm run build), or,
 * when this module runs as TypeScript (tests, development), its source, with
 * tsx registered in the thread first (a loader's hooks do not reach worker
 * threads by themselves).
 */
function startThread(setup: ThreadSetup): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(join(PACKAGE_ROOT, 'build', 'fanout-thread.mjs'), { workerData: setup });
  const tsx = import.meta.resolve('tsx/esm/api');
  const source = new URL('./thread.ts', import.meta.url).href;
  return new Worker(`import(${JSON.stringify(tsx)}).then((api) => { api.register(); return import(${JSON.stringify(source)}); });`, { eval: true, workerData: setup });
}

/** One fan-out thread, as the origin sees it: its worker, its requests in flight, its WebSockets and its viewers' twins. */
class FanoutThread implements BridgeEnd {
  readonly started: Promise<void>;
  readonly #options: FanoutThreadsOptions;
  readonly #worker: Worker;
  readonly #log: Logger;
  readonly #requests = new Map<number, BridgedResponse>();
  readonly #sockets = new Map<number, BridgedWebSocket<unknown>>();
  readonly #twins = new Map<string, RemoteViewerSession>();
  /** Bytes of fragments posted to the thread, and those it has handed to its replicas: the difference waits in its port. */
  #postedBytes = 0;
  #takenBytes = 0;
  /** Streams the thread is sent nothing of until their next keyframe (MAX_THREAD_BACKLOG_BYTES). */
  readonly #skipping = new Set<string>();
  /** Certificate reloads asked of the thread, answered in order. */
  readonly #tlsReloaded: ((ok: boolean) => void)[] = [];
  #exited = false;
  readonly #exit: Promise<void>;

  constructor(index: number, options: FanoutThreadsOptions, onDied: () => void) {
    this.#options = options;
    this.#log = options.logger.child({ thread: index });
    const setup: ThreadSetup = { ...options.setup, index };
    this.#worker = startThread(setup);
    let listening: () => void;
    let failed: (error: Error) => void;
    this.started = new Promise<void>((resolve, reject) => {
      listening = resolve;
      failed = reject;
    });
    this.#worker.on('message', (message: FromThread) => {
      if (message.t === 'listening') listening();
      else if (message.t === 'failed') failed(new Error(message.why));
      else this.#receive(message);
    });
    this.#worker.on('error', (error) => this.#log.error({ err: error }, 'fan-out thread failed'));
    this.#exit = new Promise<void>((resolve) => {
      this.#worker.once('exit', (code) => {
        this.#exited = true;
        failed(new Error(`the thread exited (${code}) before it listened`));
        this.#orphan();
        resolve();
        if (code !== 0) {
          this.#log.error({ code }, 'fan-out thread exited');
          onDied();
        }
      });
    });
  }

  /** Resolves with whether the thread listens with the new certificate (false: it keeps the old, or it is gone). */
  reloadCertificates(): Promise<boolean> {
    if (this.#exited) return Promise.resolve(false);
    const done = new Promise<boolean>((resolve) => {
      this.#tlsReloaded.push(resolve);
      void this.#exit.then(() => resolve(false));
    });
    this.post({ t: 'tls' });
    return done;
  }

  post(message: ToThread): void {
    if (this.#exited) return;
    if (message.t === 'fragments') for (const fragment of message.fragments) this.#postedBytes += fragment.bytes.byteLength;
    this.#worker.postMessage(message);
  }

  /** Posts a stream's fragments, unless the thread is too far behind: then none until a keyframe, once it has caught up by half. */
  postFragments(name: string, fragments: readonly Fragment[]): void {
    const backlog = this.#postedBytes - this.#takenBytes;
    if (!this.#skipping.has(name) && backlog > MAX_THREAD_BACKLOG_BYTES) {
      this.#skipping.add(name);
      this.#log.warn({ stream: name, backlogBytes: backlog }, 'fan-out thread behind: its viewers of this stream skip to the next keyframe it can take');
    }
    let from = 0;
    if (this.#skipping.has(name)) {
      from = backlog <= MAX_THREAD_BACKLOG_BYTES / 2 ? fragments.findIndex((fragment) => fragment.keyframe) : -1;
      if (from < 0) return;
      this.#skipping.delete(name);
    }
    this.post({ t: 'fragments', name, fragments: from === 0 ? fragments : fragments.slice(from) });
  }

  async stop(reason: ErrorCode): Promise<void> {
    this.post({ t: 'stop', reason });
    const timer = setTimeout(() => void this.#worker.terminate(), 5000);
    await this.#exit;
    clearTimeout(timer);
  }

  respond(id: number, ops: Parameters<BridgeEnd['respond']>[1], done: boolean): void {
    if (done) this.#requests.delete(id);
    this.post({ t: 'respond', id, ops });
  }

  serveViewer(id: number, order: Omit<ViewerOrder, 'session'>): RemoteViewerSession {
    this.#requests.delete(id);
    const stream = this.#options.registry.get(order.stream)!;
    const twin = new RemoteViewerSession(order.output, stream, order.remoteAddress, order.gate, (reason) => {
      if (this.#twins.delete(twin.id)) this.post({ t: 'kick', session: twin.id, reason });
    });
    this.#twins.set(twin.id, twin);
    this.#log.debug({ session: twin.id, stream: order.stream, output: order.output }, 'viewer served by a fan-out thread');
    this.post({ t: 'viewer', id, order: { ...order, session: twin.id } });
    return twin;
  }

  upgraded(id: number, socket: BridgedWebSocket<unknown>): void {
    this.#sockets.set(id, socket);
  }

  endWs(id: number, code?: number, reason?: string): void {
    this.post({ t: 'ws-end', id, code, reason });
  }

  #receive(message: FromThread): void {
    switch (message.t) {
      case 'request': {
        const res = new BridgedResponse(message.id, message.facts.remoteAddress, this);
        this.#requests.set(message.id, res);
        // Answered at once, it is forgotten as it answers (respond, serveViewer); else when it does, or is aborted.
        try {
          this.#options.router.dispatch(message.facts, res);
        } catch (error) {
          // A handler's bug, as uWS would have met it: logged, and this request ends; the rest go on.
          this.#log.error({ err: error, url: message.facts.url }, 'a bridged request failed');
          if (!res.done) res.close();
        }
        return;
      }
      case 'data':
        this.#requests.get(message.id)?.data(message.chunk, message.last);
        // Taken (the handler consumes a body as it comes, or it is nobody's): the thread may send on.
        this.post({ t: 'data-ack', id: message.id, bytes: message.chunk.byteLength });
        return;
      case 'aborted': {
        const res = this.#requests.get(message.id);
        this.#requests.delete(message.id);
        // An upgrade answered here but gone there before it was applied: its socket never opens.
        this.#sockets.delete(message.id);
        res?.abort();
        return;
      }
      case 'ws-open': {
        const ws = this.#sockets.get(message.id);
        if (ws) ws.behavior.open?.(ws as never);
        return;
      }
      case 'ws-message': {
        const ws = this.#sockets.get(message.id);
        if (ws) ws.behavior.message?.(ws as never, message.data, message.isBinary);
        this.post({ t: 'ws-ack', id: message.id, bytes: message.data.byteLength });
        return;
      }
      case 'ws-close': {
        const ws = this.#sockets.get(message.id);
        this.#sockets.delete(message.id);
        if (ws) ws.behavior.close?.(ws as never, message.code, Buffer.from(message.reason).buffer as ArrayBuffer);
        return;
      }
      case 'viewer-closed': {
        const twin = this.#twins.get(message.session);
        if (!twin) return;
        this.#twins.delete(message.session);
        twin.report(message.counters);
        twin.close(message.reason as ErrorCode | 'peer');
        return;
      }
      case 'counters':
        this.#counters(message.sessions, message.keyframeAges);
        return;
      case 'log':
        this.#relog(message.record);
        return;
      case 'taken':
        this.#takenBytes += message.bytes;
        return;
      case 'tls-reloaded':
        this.#tlsReloaded.shift()?.(message.ok);
        return;
      default:
        return;
    }
  }

  #counters(sessions: readonly (readonly [string, RemoteCounters])[], ages: readonly (readonly [string, number])[]): void {
    for (const [id, counters] of sessions) this.#twins.get(id)?.report(counters);
    const observe = this.#options.keyframeSent;
    if (!observe) return;
    for (const [id, age] of ages) {
      const twin = this.#twins.get(id);
      if (twin) observe(twin, age);
    }
  }

  /** A thread's log line, through this thread's logger (so it goes where the operator asked, with the same format). */
  #relog(record: Record<string, unknown>): void {
    const { level, msg, time: _time, pid: _pid, hostname: _hostname, ...fields } = record;
    const name = (pino.levels.labels[level as number] ?? 'info') as pino.Level;
    this.#log[name](fields, typeof msg === 'string' ? msg : '');
  }

  /** The thread is gone: its viewers, requests and WebSockets end here too. */
  #orphan(): void {
    for (const twin of [...this.#twins.values()]) twin.close('peer');
    this.#twins.clear();
    for (const res of this.#requests.values()) res.abort();
    this.#requests.clear();
    for (const ws of this.#sockets.values()) ws.behavior.close?.(ws as never, 1006, new ArrayBuffer(0));
    this.#sockets.clear();
  }
}
