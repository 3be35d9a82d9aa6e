import type { RemoteViewerSession } from '../../outputs/remote-session.ts';
import type { OutputKind } from '../../outputs/viewer-session.ts';
import type { Stream } from '../../streams/stream.ts';
import type { HttpContext } from '../router.ts';
import type { UWS } from '../uws.ts';
import { exactBytes, type RequestFacts, type ResponseOp, type ViewerOrder } from './messages.ts';

/** How a bridged request reaches back to the thread that holds its socket. */
export interface BridgeEnd {
  /** `done`: the answer is complete (or handed on): nothing more comes for `id`. */
  respond(id: number, ops: readonly ResponseOp[], done: boolean): void;
  /** Serves the viewer on the thread (see ViewerOrder); returns its twin here, registered nowhere yet. */
  serveViewer(id: number, order: Omit<ViewerOrder, 'session'>): RemoteViewerSession;
  /** The request was upgraded: its WebSocket's events will come. */
  upgraded(id: number, socket: BridgedWebSocket<unknown>): void;
  endWs(id: number, code?: number, reason?: string): void;
}

/**
 * A request that a fan-out thread received, as route handlers read it: the
 * subset of uWS's HttpRequest they use, over the facts the thread read in
 * its handler. Parameters come from the route the origin's Router matched.
 */
export class BridgedRequest {
  readonly #facts: RequestFacts;
  readonly #parameters: readonly string[];

  constructor(facts: RequestFacts, parameters: readonly string[]) {
    this.#facts = facts;
    this.#parameters = parameters;
  }

  getHeader(name: string): string {
    const lower = name.toLowerCase();
    for (const [key, value] of this.#facts.headers) if (key === lower) return value;
    return '';
  }

  getUrl(): string {
    return this.#facts.url;
  }

  getCaseSensitiveMethod(): string {
    return this.#facts.method;
  }

  /** As uWS (QueryParser.h): the raw query without a key; with one, its value, '+' as a space and percent-decoded, or undefined. */
  getQuery(key?: string): string | undefined {
    const query = this.#facts.query;
    if (key === undefined) return query;
    for (const pair of query.split('&')) {
      const at = pair.indexOf('=');
      // A key without '=' is no value to uWS.
      if (at < 0 || pair.slice(0, at) !== key) continue;
      const value = pair.slice(at + 1).replaceAll('+', ' ');
      try {
        return decodeURIComponent(value);
      } catch {
        return value;
      }
    }
    return undefined;
  }

  getParameter(index: number): string | undefined {
    return this.#parameters[index];
  }

  forEach(each: (name: string, value: string) => void): void {
    for (const [name, value] of this.#facts.headers) each(name, value);
  }

}

/**
 * The answer to a bridged request, as route handlers write it: the subset of
 * uWS's HttpResponse they use. Each step is recorded and sent to the thread,
 * which applies it to the real response. A body goes whole: the thread sends
 * it with backpressure (tryEnd and onWritable there), so here every write
 * has gone at once and onWritable never fires.
 */
export class BridgedResponse {
  readonly id: number;
  readonly #end: BridgeEnd;
  readonly #remoteAddress: string;
  #ops: ResponseOp[] = [];
  #aborted: (() => void)[] = [];
  #onData: ((chunk: ArrayBuffer, isLast: boolean) => void) | undefined;
  #done = false;
  /** The behaviour of the ws route the request was dispatched to, while its upgrade handler runs. */
  behavior: UWS.WebSocketBehavior<unknown> | undefined;

  constructor(id: number, remoteAddress: string, end: BridgeEnd) {
    this.id = id;
    this.#remoteAddress = remoteAddress;
    this.#end = end;
  }

  /** Answered, handed to a thread's viewer, or aborted: nothing more comes from or goes to it here. */
  get done(): boolean {
    return this.#done;
  }

  writeStatus(status: string): this {
    this.#ops.push(['status', status]);
    return this;
  }

  writeHeader(name: string, value: string): this {
    this.#ops.push(['header', name, value]);
    return this;
  }

  end(body?: UWS.RecognizedString): this {
    this.#ops.push(['end', body === undefined || typeof body === 'string' ? body : bytesOf(body)]);
    this.#finish();
    return this;
  }

  /** Only whole bodies reach here (respond.ts sendBuffer tries the whole body first). */
  tryEnd(body: UWS.RecognizedString, _totalSize: number): [boolean, boolean] {
    this.end(body);
    return [true, true];
  }

  endWithoutBody(): this {
    this.#ops.push(['endWithoutBody']);
    this.#finish();
    return this;
  }

  close(): this {
    this.#ops.push(['close']);
    this.#finish();
    return this;
  }

  cork(work: () => void): this {
    work();
    return this;
  }

  getWriteOffset(): number {
    return 0;
  }

  onWritable(_handler: (offset: number) => boolean): this {
    return this;
  }

  onAborted(handler: () => void): this {
    this.#aborted.push(handler);
    return this;
  }

  onData(handler: (chunk: ArrayBuffer, isLast: boolean) => void): this {
    this.#onData = handler;
    return this;
  }

  getRemoteAddressAsText(): ArrayBuffer {
    return new TextEncoder().encode(this.#remoteAddress).buffer as ArrayBuffer;
  }

  upgrade<UserData>(userData: UserData, _key: UWS.RecognizedString, _protocol: UWS.RecognizedString, _extensions: UWS.RecognizedString, _context: unknown): void {
    const behavior = this.behavior;
    if (!behavior) throw new Error('upgrade outside a ws route');
    this.#ops.push(['upgrade']);
    this.#finish();
    this.#end.upgraded(this.id, new BridgedWebSocket<unknown>(this.id, userData, behavior, this.#end));
  }

  /** Has the thread serve this viewer from its replica; returns the twin that stands for it here. */
  serveViewer(order: Omit<ViewerOrder, 'session'>): RemoteViewerSession {
    this.#done = true;
    return this.#end.serveViewer(this.id, order);
  }

  /** A chunk of the request body arrived from the thread: to the handler's onData, if it asked for the body. */
  data(chunk: ArrayBuffer, last: boolean): void {
    this.#onData?.(chunk, last);
  }

  /** The client went away before the answer was complete. */
  abort(): void {
    if (this.#done) return;
    this.#done = true;
    for (const handler of this.#aborted) handler();
  }

  #finish(): void {
    this.#done = true;
    this.#flush();
  }

  #flush(): void {
    if (this.#ops.length === 0) return;
    this.#end.respond(this.id, this.#ops, this.#done);
    this.#ops = [];
  }
}

/** The thread's WebSocket of a bridged upgrade (a WebSocket push), as the ingest route uses it. */
export class BridgedWebSocket<UserData> {
  readonly id: number;
  readonly behavior: UWS.WebSocketBehavior<UserData>;
  readonly #userData: UserData;
  readonly #end: BridgeEnd;

  constructor(id: number, userData: UserData, behavior: UWS.WebSocketBehavior<UserData>, end: BridgeEnd) {
    this.id = id;
    this.#userData = userData;
    this.behavior = behavior;
    this.#end = end;
  }

  getUserData(): UserData {
    return this.#userData;
  }

  end(code?: number, reason?: string): void {
    this.#end.endWs(this.id, code, reason);
  }
}

/** A body's bytes as they cross to the thread (see exactBytes); posted at once, so the handler may reuse its buffer after. */
function bytesOf(body: Exclude<UWS.RecognizedString, string>): Uint8Array {
  if (body instanceof ArrayBuffer || body instanceof SharedArrayBuffer) return new Uint8Array(body);
  const view = body as ArrayBufferView;
  return exactBytes(new Uint8Array(view.buffer, view.byteOffset, view.byteLength));
}

/**
 * For a viewer route's handler, once the viewer is admitted: when a fan-out
 * thread holds the socket, has the thread serve it (upgrade or head, and the
 * session there), registers its twin here as the route would its session,
 * and returns true; false when this thread serves it itself.
 */
export function servedByThread(ctx: HttpContext, res: unknown, output: OutputKind, stream: Stream, remoteAddress: string, headers: readonly (readonly [string, string])[] = []): boolean {
  if (!(res instanceof BridgedResponse)) return false;
  const twin = res.serveViewer({ output, stream: stream.name, remoteAddress, gate: ctx.gateFor(stream.name), messagesPerSecond: ctx.limits.viewerMessagesPerSecond, headers });
  twin.once('close', ctx.limits.hold(remoteAddress));
  ctx.viewers.add(twin);
  return true;
}
