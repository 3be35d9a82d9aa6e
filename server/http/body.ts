import { FragcastError } from '../errors.ts';
import type { UWS } from './uws.ts';

export interface BodyLimits {
  readonly maxBytes: number;
  /** The whole body must arrive within this (limits.body_timeout): a client dripping bytes cannot hold the request open. */
  readonly timeoutMs: number;
}

/**
 * Reads a small JSON request body. The size limit is checked against
 * Content-Length before anything is read and again on every chunk, so a
 * client cannot make fragcast buffer more than `maxBytes` bytes; the body
 * must arrive within `timeoutMs`. Calls `done` once with the parsed value or
 * a FragcastError (BODY_TOO_LARGE, BODY_NOT_JSON, CONTENT_TYPE_UNSUPPORTED,
 * REQUEST_TIMEOUT); never after the client left. Must be called inside the
 * request handler (it reads headers).
 */
export function readJsonBody(res: UWS.HttpResponse, req: UWS.HttpRequest, limits: BodyLimits, done: (value: unknown, error: FragcastError | undefined, aborted: () => boolean) => void): void {
  const limit = limits.maxBytes;
  let aborted = false;
  const isAborted = (): boolean => aborted;
  let timer: NodeJS.Timeout | undefined;
  res.onAborted(() => {
    aborted = true;
    clearTimeout(timer);
  });
  const type = req.getHeader('content-type');
  if (!/^application\/json\s*(?:;|$)/i.test(type)) {
    done(undefined, new FragcastError('CONTENT_TYPE_UNSUPPORTED', { expected: 'application/json', got: type.slice(0, 80) }), isAborted);
    return;
  }
  const declared = Number(req.getHeader('content-length') || '0');
  if (declared > limit) {
    done(undefined, new FragcastError('BODY_TOO_LARGE', { limit }), isAborted);
    return;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  let finished = false;
  const finish = (value: unknown, error: FragcastError | undefined): void => {
    finished = true;
    clearTimeout(timer);
    done(value, error, isAborted);
  };
  timer = setTimeout(() => {
    if (!finished && !aborted) finish(undefined, new FragcastError('REQUEST_TIMEOUT', { seconds: limits.timeoutMs / 1000 }));
  }, limits.timeoutMs);
  res.onData((chunk, isLast) => {
    if (finished || aborted) return;
    size += chunk.byteLength;
    if (size > limit) {
      finish(undefined, new FragcastError('BODY_TOO_LARGE', { limit }));
      return;
    }
    // uWS reuses the chunk's memory after this callback: copy it.
    chunks.push(Buffer.from(new Uint8Array(chunk)));
    if (!isLast) return;
    let value: unknown;
    try {
      value = JSON.parse(Buffer.concat(chunks, size).toString('utf8'));
    } catch (error) {
      finish(undefined, new FragcastError('BODY_NOT_JSON', { why: (error as Error).message.slice(0, 120) }));
      return;
    }
    finish(value, undefined);
  });
}
