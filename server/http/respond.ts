import { FragcastError } from '../errors.ts';
import type { UWS } from './uws.ts';

/** HTTP status lines uWS needs spelled out. */
const STATUS_TEXT: Record<number, string> = {
  200: 'OK',
  201: 'Created',
  202: 'Accepted',
  204: 'No Content',
  304: 'Not Modified',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  409: 'Conflict',
  410: 'Gone',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Entity',
  426: 'Upgrade Required',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

export function statusLine(status: number): string {
  return `${status} ${STATUS_TEXT[status] ?? 'Unknown'}`;
}

/** Headers on every response: fragcast never wants to be sniffed into another type. */
const COMMON_HEADERS: readonly (readonly [string, string])[] = [['X-Content-Type-Options', 'nosniff']];

/** Headers a door check decided on for every answer of one response (cors.ts), whichever handler answers. */
const doorHeaders = new WeakMap<UWS.HttpResponse, readonly (readonly [string, string])[]>();

/** Adds headers to whatever `res` answers: the media, a 304, or an error. */
export function addResponseHeaders(res: UWS.HttpResponse, headers: readonly (readonly [string, string])[]): void {
  doorHeaders.set(res, [...(doorHeaders.get(res) ?? []), ...headers]);
}

/** The headers door checks added to `res` (for a fan-out thread that writes the head itself). */
export function doorHeadersOf(res: UWS.HttpResponse): readonly (readonly [string, string])[] {
  return doorHeaders.get(res) ?? [];
}

export function writeHead(res: UWS.HttpResponse, status: number, headers: Iterable<readonly [string, string]>): void {
  res.writeStatus(statusLine(status));
  for (const [name, value] of COMMON_HEADERS) res.writeHeader(name, value);
  for (const [name, value] of doorHeaders.get(res) ?? []) res.writeHeader(name, value);
  for (const [name, value] of headers) res.writeHeader(name, value);
}

/** Responses to HEAD requests (the Router marks them): their answers carry the headers and the length, never the body. */
const HEAD_RESPONSES = new WeakSet<UWS.HttpResponse>();

export function markHead(res: UWS.HttpResponse): void {
  HEAD_RESPONSES.add(res);
}

export function sendBody(res: UWS.HttpResponse, status: number, contentType: string, body: string | Uint8Array, extra: Iterable<readonly [string, string]> = []): void {
  res.cork(() => {
    writeHead(res, status, [['Content-Type', contentType], ...extra]);
    // RFC 9110 §9.3.2: no body in an answer to HEAD (a client would read it as the start of the next response).
    // (Without a reported length: uWS 20.30's endWithoutBody(length) leaves the response open.)
    if (HEAD_RESPONSES.has(res)) res.endWithoutBody();
    else res.end(body);
  });
}

export function sendJson(res: UWS.HttpResponse, status: number, value: unknown, extra: Iterable<readonly [string, string]> = []): void {
  sendBody(res, status, 'application/json; charset=utf-8', JSON.stringify(value), [['Cache-Control', 'no-store'], ...extra]);
}

/** Answers with the one error shape: `{ "error": { "code", "message" } }` and the code's status. */
export function sendError(res: UWS.HttpResponse, error: FragcastError, extra: Iterable<readonly [string, string]> = []): void {
  sendJson(res, error.status, error.toJSON(), extra);
}

/** Whether the client takes gzip: `Accept-Encoding` lists it (or `*`) without `q=0`. */
export function acceptsGzip(req: UWS.HttpRequest): boolean {
  return req
    .getHeader('accept-encoding')
    .split(',')
    .some((entry) => {
      const [coding, ...params] = entry.trim().toLowerCase().split(';');
      const q = params.map((param) => param.trim()).find((param) => param.startsWith('q='));
      return (coding === 'gzip' || coding === '*') && (q === undefined || Number(q.slice(2)) > 0);
    });
}

/** Reads the remote address now: uWS request data is valid only during the handler. */
export function remoteAddressOf(res: UWS.HttpResponse | UWS.WebSocket<unknown>): string {
  return Buffer.from(res.getRemoteAddressAsText()).toString('latin1');
}

/**
 * For a handler that answers after an await: uWS requires onAborted to be
 * registered before the handler returns, and forbids touching `res` once the
 * client is gone. Returns a check to call before answering.
 */
export function answerLater(res: UWS.HttpResponse): () => boolean {
  let aborted = false;
  res.onAborted(() => {
    aborted = true;
  });
  return () => !aborted;
}

/** The answer for a failure that may not be a FragcastError (a bug): logged by the caller, answered as a 500 in the one shape. */
export function asFragcastError(error: unknown): FragcastError {
  return error instanceof FragcastError ? error : new FragcastError('INTERNAL_ERROR', { why: String((error as Error)?.message ?? error) }, { cause: error });
}

/**
 * Sends a whole body of known length without letting uWS copy what the
 * socket cannot take at once: tryEnd writes what fits, and onWritable
 * resumes from the offset the socket reached. A slow client of a large
 * segment then costs a reference to the shared buffer, not a copy of it.
 * `isAborted` tells whether the client went away (the caller's onAborted).
 */
export function sendBuffer(res: UWS.HttpResponse, status: number, headers: Iterable<readonly [string, string]>, body: Uint8Array, isAborted: () => boolean): void {
  if (isAborted()) return;
  res.cork(() => {
    writeHead(res, status, headers);
    endBuffer(res, body, isAborted);
  });
}

/** The body part of sendBuffer, once the head is written (a fan-out thread applying the origin's answer: fanout/thread.ts). */
export function endBuffer(res: UWS.HttpResponse, body: Uint8Array, isAborted: () => boolean): void {
  const start = res.getWriteOffset();
  const [ok, done] = res.tryEnd(body, body.length);
  if (ok || done) return;
  res.onWritable((offset) => {
    if (isAborted()) return true;
    const [sent] = res.tryEnd(body.subarray(offset - start), body.length);
    return sent;
  });
}
