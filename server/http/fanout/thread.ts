/**
 * A fan-out thread (threads.ts): a uWS app on the server's port that sends
 * every request to the origin thread to be decided, applies the answer, and
 * serves the viewers the origin hands it from its replicas of their streams.
 */
import { parentPort, workerData } from 'node:worker_threads';
import pino from 'pino';
import type { ErrorCode } from '../../errors.ts';
import { HttpMp4Session } from '../../outputs/http-mp4.ts';
import type { RemoteCounters } from '../../outputs/remote-session.ts';
import type { ViewerSession } from '../../outputs/viewer-session.ts';
import { Viewers } from '../../outputs/viewers.ts';
import { WsMseSession } from '../../outputs/ws-mse.ts';
import type { Fragment, InitRecord } from '../../streams/fragment.ts';
import type { Marker } from '../../streams/markers.ts';
import { Stream, type StreamOptions } from '../../streams/stream.ts';
import { AfterHandler } from '../after-handler.ts';
import { endBuffer, remoteAddressOf, writeHead } from '../respond.ts';
import { INGEST_WS_MAX_PAYLOAD } from '../routes/ingest.ts';
import { WS_MAX_BACKPRESSURE, WS_MAX_PAYLOAD } from '../routes/ws-mse.ts';
import { loadUws, type UWS } from '../uws.ts';
import { BRIDGE_CREDIT_BYTES, type FromThread, type ResponseOp, type ThreadSetup, type ToThread, type ViewerOrder } from './messages.ts';

/** uWS 20.30's app has close() (every socket and listen socket of the app); its typings lack it. */
type App = UWS.TemplatedApp & { close(): void };

/**
 * How often the origin hears each viewer's counters: its API, stats and
 * metrics lag by up to this (and each viewer is reported once its instant
 * start has gone). 8,000 viewers' counters are one message of 8,000 tuples.
 */
const COUNTERS_INTERVAL_MS = 250;

const setup = workerData as ThreadSetup;
const port = parentPort!;
const post = (message: FromThread): void => port.postMessage(message);

const log = pino({ level: setup.logLevel, base: null, timestamp: false }, { write: (line: string) => post({ t: 'log', record: JSON.parse(line) as Record<string, unknown> }) });
// The origin starts threads only on the native binary (HttpServer.listen).
const { uws } = loadUws({ allowFallback: false });
const afterHandler = new AfterHandler(log);
/** Ages of keyframes as sent, by session: told to the origin (its metrics histogram) once the batch that sent them is out. */
const keyframeAges: [string, number][] = [];
const reportAges = (): void => {
  if (keyframeAges.length) post({ t: 'counters', sessions: [], keyframeAges: keyframeAges.splice(0) });
};
// Its viewers' connect and disconnect lines come from their twins in the origin's Viewers, with the counters this thread reported.
const viewers = new Viewers(log.child({ module: 'viewers' }, { level: 'warn' }), {
  keyframeSent: (session, ageMs) => {
    if (keyframeAges.push([session.id, ageMs]) === 1) setImmediate(reportAges);
  },
});
const replicas = new Map<string, Replica>();

/** A request in flight: the origin is deciding it, or is answering a body the socket takes slowly. */
interface InFlight {
  readonly res: UWS.HttpResponse;
  aborted: boolean;
  /** For an upgrade request: what res.upgrade needs once the origin says yes. */
  readonly upgrade?: { readonly key: string; readonly protocol: string; readonly extensions: string; readonly context: UWS.us_socket_context_t };
  session?: ViewerSession;
  /** Body bytes sent to the origin that it has not yet said it took; above BRIDGE_CREDIT_BYTES the body is paused. */
  unacked: number;
  paused: boolean;
}

/** What a WebSocket of this thread carries: a viewer it serves, or a bridged socket whose events go to the origin. */
interface SocketData {
  readonly id: number;
  readonly order?: ViewerOrder;
  session?: WsMseSession;
  closed?: boolean;
  /** A bridged socket's message bytes the origin has not yet said it took (see BRIDGE_CREDIT_BYTES). */
  unacked?: number;
}

const inFlight = new Map<number, InFlight>();
const bridgedSockets = new Map<number, UWS.WebSocket<SocketData>>();
let nextId = 1;

/**
 * A stream as the origin has it, fed by its messages. Fragments that come
 * in several messages while this thread was busy go to the viewers as one
 * batch (one run per viewer: fragment-runs.ts), as a saturated origin's
 * late reads do.
 */
class Replica {
  readonly stream: Stream;
  #pending: Fragment[] = [];
  readonly #flush = (): void => {
    if (this.#pending.length === 0) return;
    const batch = this.#pending;
    this.#pending = [];
    this.stream.replicateFragments(batch);
  };

  constructor(name: string, options: StreamOptions) {
    this.stream = new Stream(name, options);
    this.stream.onListenerError = (error, event) => log.error({ err: error, event, stream: name }, 'replica listener failed');
  }

  fragments(fragments: readonly Fragment[]): void {
    if (this.#pending.push(...fragments.map(asBufferFragment)) === fragments.length) setImmediate(this.#flush);
  }

  /** Whatever waits goes first: the init that follows starts a new generation. */
  init(init: InitRecord): void {
    this.#flush();
    this.stream.replicateInit({ ...init, bytes: asBuffer(init.bytes) });
  }

  /** After the fragments that came before it, as at the origin. */
  marker(marker: Marker): void {
    this.#flush();
    this.stream.replicateMarker(marker);
  }

  /** What waits belongs to the run that ended. */
  reset(): void {
    this.#pending = [];
    this.stream.reset();
  }
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function asBufferFragment(fragment: Fragment): Fragment {
  return { ...fragment, bytes: asBuffer(fragment.bytes) };
}

function replica(name: string, options: StreamOptions = {}): Replica {
  let found = replicas.get(name);
  if (!found) replicas.set(name, (found = new Replica(name, options)));
  return found;
}

/** Reads what the origin needs of a request now (uWS request data lives only during the handler) and sends it there. */
function forward(res: UWS.HttpResponse, req: UWS.HttpRequest, upgrade?: InFlight['upgrade']): void {
  const id = nextId++;
  const headers: [string, string][] = [];
  req.forEach((name, value) => headers.push([name, value]));
  const entry: InFlight = { res, aborted: false, unacked: 0, paused: false, ...(upgrade ? { upgrade } : {}) };
  inFlight.set(id, entry);
  res.onAborted(() => {
    entry.aborted = true;
    inFlight.delete(id);
    if (entry.session) entry.session.close('peer');
    else post({ t: 'aborted', id });
  });
  if (!upgrade) {
    res.onData((chunk, last) => {
      // Once answered, the rest of a body is nobody's (a refused 10 GB PUT): uWS reads it and it goes nowhere.
      if (!inFlight.has(id)) return;
      entry.unacked += chunk.byteLength;
      post({ t: 'data', id, chunk: chunk.slice(0), last });
      if (entry.unacked > BRIDGE_CREDIT_BYTES && !entry.paused) {
        entry.paused = true;
        res.pause();
      }
    });
  }
  post({
    t: 'request',
    id,
    facts: { method: req.getCaseSensitiveMethod(), url: req.getUrl(), query: req.getQuery() ?? '', headers, remoteAddress: remoteAddressOf(res), upgrade: upgrade !== undefined },
  });
}

/** Applies the origin's answer to the real response. */
function respond(id: number, ops: readonly ResponseOp[]): void {
  const entry = inFlight.get(id);
  if (!entry || entry.aborted) return;
  const res = entry.res;
  res.cork(() => {
    for (const op of ops) {
      switch (op[0]) {
        case 'status':
          res.writeStatus(op[1]);
          break;
        case 'header':
          res.writeHeader(op[1], op[2]);
          break;
        case 'end':
          inFlight.delete(id);
          if (op[1] === undefined) res.end();
          // Without letting uWS copy what the socket cannot take at once, as respond.ts sendBuffer.
          else endBuffer(res, typeof op[1] === 'string' ? Buffer.from(op[1]) : op[1], () => entry.aborted);
          return;
        case 'endWithoutBody':
          inFlight.delete(id);
          res.endWithoutBody();
          return;
        case 'close':
          inFlight.delete(id);
          res.close();
          return;
        case 'upgrade':
          upgrade(id, entry, { id });
          return;
      }
    }
  });
}

/** Completes an upgrade request the origin said yes to: the socket carries `data` (a viewer's order, or a bridged socket's id). */
function upgrade(id: number, entry: InFlight, data: SocketData): void {
  inFlight.delete(id);
  const { key, protocol, extensions, context } = entry.upgrade!;
  entry.res.cork(() => entry.res.upgrade<SocketData>(data, key, protocol, extensions, context));
}

/** Serves a viewer the origin admitted: upgrade and a WebSocket session, or the live.mp4 head and a chunked session. */
function serveViewer(id: number, order: ViewerOrder): void {
  const entry = inFlight.get(id);
  if (!entry || entry.aborted) {
    post({ t: 'viewer-closed', session: order.session, reason: 'peer', counters: NO_COUNTERS });
    return;
  }
  if (order.output === 'ws') {
    upgrade(id, entry, { id, order });
    return;
  }
  const res = entry.res;
  res.cork(() => {
    writeHead(res, 200, order.headers);
    const session = new HttpMp4Session(res, replica(order.stream).stream, order.remoteAddress, order.gate, order.session);
    entry.session = session;
    session.once('close', () => inFlight.delete(id));
    open(session);
  });
}

function open(session: ViewerSession): void {
  session.once('close', (reason) => post({ t: 'viewer-closed', session: session.id, reason, counters: countersOf(session) }));
  viewers.add(session);
  // After its instant start (a WebSocket's runs once uWS's open handler has returned: AfterHandler, in order).
  afterHandler.run(() => {
    if (!session.closed) post({ t: 'counters', sessions: [[session.id, countersOf(session)]], keyframeAges: [] });
  });
}

const NO_COUNTERS: RemoteCounters = { bytesSent: 0, fragmentsSent: 0, skippedFragments: 0, skipEpisodes: 0, lagMs: 0 };

function countersOf(session: ViewerSession): RemoteCounters {
  return { bytesSent: session.bytesSent, fragmentsSent: session.fragmentsSent, skippedFragments: session.gate.skippedFragments, skipEpisodes: session.gate.skipEpisodes, lagMs: session.lagMs };
}

/**
 * The routes: everything goes to the origin. The ws routes have the limits
 * of the origin's of the same path (a viewer's messages are small, a push's
 * large); any other upgrade gets the viewer's and goes to the origin, which
 * answers it as its own router would.
 */
function mount(): App {
  const app = (setup.tls
    ? uws.SSLApp({ cert_file_name: setup.tls.cert, key_file_name: setup.tls.key, ...(setup.tls.passphrase ? { passphrase: setup.tls.passphrase } : {}) })
    : uws.App()) as App;
  const behavior = (maxPayloadLength: number): UWS.WebSocketBehavior<SocketData> => ({
    compression: uws.DISABLED,
    maxPayloadLength,
    maxBackpressure: WS_MAX_BACKPRESSURE,
    closeOnBackpressureLimit: 0,
    idleTimeout: 120,
    sendPingsAutomatically: true,
    upgrade: (res, req, context) =>
      forward(res, req, { key: req.getHeader('sec-websocket-key'), protocol: req.getHeader('sec-websocket-protocol'), extensions: req.getHeader('sec-websocket-extensions'), context }),
    // uWS 20.30, in a worker thread, closes a WebSocket upgraded outside its upgrade handler (every one here is:
    // the origin decides first) when V8 collects garbage before the upgrade returns (reproduced with gc() in
    // open: every socket closed 1006; without, none). So open allocates as little as it can, and the rest
    // waits for the next turn, after the upgrade has returned.
    open: (ws) => {
      const data = ws.getUserData();
      afterHandler.run(() => opened(ws, data));
    },
    message: (ws, message, isBinary) => {
      const data = ws.getUserData();
      if (data.order) {
        data.session?.receive(message, isBinary);
        return;
      }
      data.unacked = (data.unacked ?? 0) + message.byteLength;
      post({ t: 'ws-message', id: data.id, data: message.slice(0), isBinary });
      // uWS 20.30 cannot pause a WebSocket's reading: a publisher that outruns the origin is told so and closed (1013, try again later).
      if (data.unacked > BRIDGE_CREDIT_BYTES) ws.end(1013, 'the server cannot take the stream this fast');
    },
    // A bridged socket is sent nothing but its close (the ingest route only ends a publisher): only a viewer drains.
    drain: (ws) => ws.getUserData().session?.drained(),
    close: (ws, code, message) => {
      const data = ws.getUserData();
      data.closed = true;
      if (data.order) {
        // Before its session was made, opened() tells the origin.
        data.session?.close('peer');
        return;
      }
      // Closed before opened() ran, it was never announced; the origin still hears the close (and forgets the socket).
      bridgedSockets.delete(data.id);
      post({ t: 'ws-close', id: data.id, code, reason: Buffer.from(message).toString('utf8') });
    },
  });
  app.ws<SocketData>('/streams/:name/ws', behavior(WS_MAX_PAYLOAD));
  app.ws<SocketData>('/ingest/:name/ws', behavior(INGEST_WS_MAX_PAYLOAD));
  app.ws<SocketData>('/*', behavior(WS_MAX_PAYLOAD));
  app.any('/*', (res, req) => forward(res, req));
  return app;
}

/** A WebSocket this thread upgraded, on the turn after: a viewer's session starts, or the origin hears of a bridged one. */
function opened(ws: UWS.WebSocket<SocketData>, data: SocketData): void {
  const order = data.order;
  if (!order) {
    if (data.closed) return;
    data.unacked = 0;
    bridgedSockets.set(data.id, ws);
    post({ t: 'ws-open', id: data.id });
    return;
  }
  if (data.closed) {
    post({ t: 'viewer-closed', session: order.session, reason: 'peer', counters: NO_COUNTERS });
    return;
  }
  const session = new WsMseSession(ws, replica(order.stream).stream, order.remoteAddress, {
    gate: order.gate,
    messagesPerSecond: order.messagesPerSecond,
    schedule: afterHandler.run,
    tls: setup.tls !== undefined,
    id: order.session,
  });
  data.session = session;
  open(session);
}

function listen(app: App): Promise<UWS.us_listen_socket | undefined> {
  return new Promise((resolve) => app.listen(setup.host, setup.port, (socket) => resolve(socket || undefined)));
}

/** Every app this thread made: the one listening, and those a certificate reload replaced, whose connections may still be open. */
const apps = [mount()];
let listenSocket = await listen(apps[0]!);
let counters: NodeJS.Timeout | undefined;

function unlisten(): void {
  if (listenSocket) uws.us_listen_socket_close(listenSocket);
  listenSocket = undefined;
}

/** Ends every connection and handle, so that the thread ends by itself: one ended with uWS handles open aborts the process (node's CheckedUvLoopClose). */
function stop(reason: ErrorCode): void {
  clearInterval(counters);
  unlisten();
  viewers.closeAll(reason);
  for (const ws of bridgedSockets.values()) ws.end(1001, 'server shutting down');
  bridgedSockets.clear();
  for (const { stream } of replicas.values()) stream.close();
  for (const app of apps) app.close();
  port.close();
}

// A bug here must not abort the whole server: the thread closes what it holds and exits 1, and the origin starts another.
process.on('uncaughtException', (error) => {
  log.fatal({ err: error }, 'fan-out thread failed; it stops and is started again');
  process.exitCode = 1;
  stop('INTERNAL_ERROR');
});

/** A certificate reload, as HttpServer.reloadCertificates: the new app listens first, then the old one stops listening. */
async function reloadCertificates(): Promise<boolean> {
  let fresh: App;
  try {
    fresh = mount();
  } catch (error) {
    log.error({ err: (error as Error).message }, 'a fan-out thread could not read the new certificate; it keeps the old one');
    return false;
  }
  const socket = await listen(fresh);
  if (!socket) {
    log.error({ port: setup.port }, 'a fan-out thread could not listen with the new certificate; it keeps the old one');
    fresh.close();
    return false;
  }
  unlisten();
  listenSocket = socket;
  apps.push(fresh);
  return true;
}

if (!listenSocket) {
  post({ t: 'failed', why: `thread ${setup.index} could not listen on ${setup.host}:${setup.port}` });
  apps[0]!.close();
  port.close();
} else {
  post({ t: 'listening' });
  counters = setInterval(() => {
    const sessions: [string, RemoteCounters][] = [];
    for (const session of viewers.list()) sessions.push([session.id, countersOf(session)]);
    if (sessions.length) post({ t: 'counters', sessions, keyframeAges: [] });
  }, COUNTERS_INTERVAL_MS);

  port.on('message', (message: ToThread) => {
    switch (message.t) {
      case 'stream':
        replica(message.name, message.options);
        return;
      case 'init':
        replica(message.name).init(message.init);
        return;
      case 'fragments':
        replica(message.name).fragments(message.fragments);
        post({ t: 'taken', bytes: message.fragments.reduce((sum, fragment) => sum + fragment.bytes.byteLength, 0) });
        return;
      case 'marker':
        replica(message.name).marker(message.marker);
        return;
      case 'reset':
        replicas.get(message.name)?.reset();
        return;
      case 'unstream':
        replicas.get(message.name)?.stream.close();
        replicas.delete(message.name);
        return;
      case 'respond':
        respond(message.id, message.ops);
        return;
      case 'data-ack': {
        const entry = inFlight.get(message.id);
        if (!entry) return;
        entry.unacked -= message.bytes;
        if (entry.paused && entry.unacked <= BRIDGE_CREDIT_BYTES / 2 && !entry.aborted) {
          entry.paused = false;
          entry.res.resume();
        }
        return;
      }
      case 'ws-ack': {
        const data = bridgedSockets.get(message.id)?.getUserData();
        if (data) data.unacked = (data.unacked ?? 0) - message.bytes;
        return;
      }
      case 'viewer':
        serveViewer(message.id, message.order);
        return;
      case 'kick':
        viewers.get(message.session)?.close(message.reason);
        return;
      case 'ws-end': {
        const ws = bridgedSockets.get(message.id);
        if (ws && !ws.getUserData().closed) ws.end(message.code, message.reason);
        return;
      }
      case 'tls':
        void reloadCertificates().then((ok) => post({ t: 'tls-reloaded', ok }));
        return;
      case 'unlisten':
        unlisten();
        return;
      case 'stop':
        stop(message.reason);
        return;
    }
  });
}
