/**
 * What the origin thread and its fan-out threads tell each other
 * (docs/benchmarks.md, "Fan-out threads"; config `listen.fanout_threads`).
 *
 * The origin owns every stream, source, decision and answer. A fan-out
 * thread owns sockets: it accepts connections on the same port, sends each
 * request here to be decided, and serves the viewers it is told to serve
 * from its replica of their stream. Messages go over the worker's port by
 * structured clone: each fragment and each body the origin answers with is
 * copied once per thread (a few Mbit/s a stream), and once before if it is
 * a view of a larger buffer (exactBytes).
 */
import type { ErrorCode } from '../../errors.ts';
import type { KeyframeGateOptions } from '../../outputs/keyframe-gate.ts';
import type { RemoteCounters } from '../../outputs/remote-session.ts';
import type { OutputKind } from '../../outputs/viewer-session.ts';
import type { Fragment, InitRecord } from '../../streams/fragment.ts';
import type { Marker } from '../../streams/markers.ts';
import type { StreamOptions } from '../../streams/stream.ts';

/**
 * Bytes of a request body or of a pushing WebSocket's messages that a thread
 * sends on before the origin says it took them. Past it, an HTTP body is
 * paused until the origin catches up; a WebSocket (uWS cannot pause one) is
 * closed. Larger than the largest push message (16 MiB), so that one never
 * trips it alone.
 */
export const BRIDGE_CREDIT_BYTES = 32 * 1024 * 1024;

/**
 * Bytes as they may cross to a thread. postMessage clones a view's whole
 * underlying buffer: a view of a larger one (a fragment cut from a read, a
 * pooled small Buffer, a part of a segment) is first copied to a buffer of
 * its own; a view that is its whole buffer goes as it is.
 */
export function exactBytes<T extends Uint8Array>(bytes: T): T {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : (new Uint8Array(bytes) as T);
}

/** What a fan-out thread is started with (its workerData). */
export interface ThreadSetup {
  readonly index: number;
  readonly host: string;
  readonly port: number;
  readonly tls: { readonly cert: string; readonly key: string; readonly passphrase?: string | undefined } | undefined;
  readonly logLevel: string;
}

/** One step of an answer the origin made for a request a thread received, applied there in order. */
export type ResponseOp =
  | readonly ['status', string]
  | readonly ['header', string, string]
  /** The whole body (end, or tryEnd with the full length): the thread sends it with backpressure. */
  | readonly ['end', Uint8Array | string | undefined]
  | readonly ['endWithoutBody']
  | readonly ['close']
  /** Accept the WebSocket upgrade; its events come back as ws-* messages under the request's id. */
  | readonly ['upgrade'];

/** A viewer the thread serves itself, from its replica: the origin admitted it and holds its twin (RemoteViewerSession). */
export interface ViewerOrder {
  readonly session: string;
  readonly output: OutputKind;
  readonly stream: string;
  readonly remoteAddress: string;
  readonly gate: Partial<KeyframeGateOptions>;
  readonly messagesPerSecond: number;
  /** Response headers for live.mp4 (door headers included). */
  readonly headers: readonly (readonly [string, string])[];
}

export type ToThread =
  /** A stream with the origin's cache and marker bounds. */
  | { readonly t: 'stream'; readonly name: string; readonly options: StreamOptions }
  | { readonly t: 'init'; readonly name: string; readonly init: InitRecord }
  | { readonly t: 'fragments'; readonly name: string; readonly fragments: readonly Fragment[] }
  | { readonly t: 'marker'; readonly name: string; readonly marker: Marker }
  | { readonly t: 'reset'; readonly name: string }
  | { readonly t: 'unstream'; readonly name: string }
  | { readonly t: 'respond'; readonly id: number; readonly ops: readonly ResponseOp[] }
  /** The origin took this many bytes of a request's body (BRIDGE_CREDIT_BYTES). */
  | { readonly t: 'data-ack'; readonly id: number; readonly bytes: number }
  | { readonly t: 'ws-ack'; readonly id: number; readonly bytes: number }
  | { readonly t: 'viewer'; readonly id: number; readonly order: ViewerOrder }
  | { readonly t: 'kick'; readonly session: string; readonly reason: ErrorCode }
  | { readonly t: 'ws-end'; readonly id: number; readonly code: number | undefined; readonly reason: string | undefined }
  /** Read the TLS files again (SIGHUP): a new app takes over the port, open connections keep theirs. */
  | { readonly t: 'tls' }
  /** Stop accepting connections (the server is closing); open ones go on until 'stop'. */
  | { readonly t: 'unlisten' }
  | { readonly t: 'stop'; readonly reason: ErrorCode };

/** A request as the thread's uWS saw it, read in full during its handler. */
export interface RequestFacts {
  readonly method: string;
  readonly url: string;
  readonly query: string;
  /** Lowercase names, in order. */
  readonly headers: readonly (readonly [string, string])[];
  readonly remoteAddress: string;
  /** A WebSocket upgrade request (the thread's ws route took it). */
  readonly upgrade: boolean;
}

export type SessionReport = readonly [id: string, counters: RemoteCounters];

export type FromThread =
  | { readonly t: 'listening' }
  | { readonly t: 'failed'; readonly why: string }
  | { readonly t: 'request'; readonly id: number; readonly facts: RequestFacts }
  | { readonly t: 'data'; readonly id: number; readonly chunk: ArrayBuffer; readonly last: boolean }
  | { readonly t: 'aborted'; readonly id: number }
  | { readonly t: 'ws-open'; readonly id: number }
  | { readonly t: 'ws-message'; readonly id: number; readonly data: ArrayBuffer; readonly isBinary: boolean }
  | { readonly t: 'ws-close'; readonly id: number; readonly code: number; readonly reason: string }
  | { readonly t: 'viewer-closed'; readonly session: string; readonly reason: string; readonly counters: RemoteCounters }
  | { readonly t: 'counters'; readonly sessions: readonly SessionReport[]; readonly keyframeAges: readonly (readonly [string, number])[] }
  | { readonly t: 'log'; readonly record: Record<string, unknown> }
  /** A certificate reload is done: the new app listens (or the old one still does, when it could not). */
  | { readonly t: 'tls-reloaded'; readonly ok: boolean }
  /** The thread has handed this many bytes of fragments to its replicas: what it has not is its backlog. */
  | { readonly t: 'taken'; readonly bytes: number };
