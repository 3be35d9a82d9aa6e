import { FragcastError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { HlsOutput } from '../outputs/hls/hls-output.ts';
import type { KeyframeGateOptions } from '../outputs/keyframe-gate.ts';
import type { Viewers } from '../outputs/viewers.ts';
import type { StreamRegistry } from '../streams/registry.ts';
import type { Stream } from '../streams/stream.ts';
import { isValidStreamName } from '../streams/stream-name.ts';
import type { Assets } from './assets.ts';
import { sendError } from './respond.ts';
import type { LoadedUws, UWS } from './uws.ts';

type Method = 'get' | 'head' | 'post' | 'put' | 'del' | 'patch' | 'options';
type Handler = (res: UWS.HttpResponse, req: UWS.HttpRequest) => void;

const METHOD_NAMES: Record<Method, string> = { get: 'GET', head: 'HEAD', post: 'POST', put: 'PUT', del: 'DELETE', patch: 'PATCH', options: 'OPTIONS' };

/** What route modules need from the server. */
export interface HttpContext {
  readonly uws: LoadedUws;
  readonly registry: StreamRegistry;
  readonly viewers: Viewers;
  readonly hls: HlsOutput;
  readonly assets: Assets;
  readonly logger: Logger;
  readonly gate: Partial<KeyframeGateOptions> | undefined;
}

/**
 * Registers routes on the uWS app and remembers them, so that a known URL
 * with the wrong method is answered 405 with an accurate Allow header, and
 * anything else 404 — both in the one JSON error shape.
 */
export class Router {
  readonly app: UWS.TemplatedApp;
  readonly #table: { method: string; pattern: RegExp }[] = [];

  constructor(app: UWS.TemplatedApp) {
    this.app = app;
  }

  route(method: Method, pattern: string, handler: Handler): this {
    this.#remember(METHOD_NAMES[method], pattern);
    this.app[method](pattern, handler);
    return this;
  }

  ws<UserData>(pattern: string, behavior: UWS.WebSocketBehavior<UserData>): this {
    this.#remember('GET', pattern);
    this.app.ws<UserData>(pattern, behavior);
    return this;
  }

  /** The methods a URL answers to, or undefined when no route has that path. */
  allowed(url: string): string | undefined {
    const methods = new Set(this.#table.filter((r) => r.pattern.test(url)).map((r) => r.method));
    return methods.size ? [...methods].join(', ') : undefined;
  }

  /** Registers the catch-all 405/404; must come after every other route. */
  fallback(): void {
    this.app.any('/*', (res, req) => {
      const method = req.getCaseSensitiveMethod();
      const url = req.getUrl().slice(0, 200);
      const allow = this.allowed(url);
      if (allow) sendError(res, new FragcastError('METHOD_NOT_ALLOWED', { method, url }), [['Allow', allow]]);
      else sendError(res, new FragcastError('NOT_FOUND', { method, url }));
    });
  }

  #remember(method: string, pattern: string): void {
    const source = pattern
      .split('/')
      .map((part) => (part.startsWith(':') ? '[^/]+' : part === '*' ? '.*' : part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')))
      .join('/');
    this.#table.push({ method, pattern: new RegExp(`^${source}$`) });
  }
}

/** Looks up the stream named by route parameter 0, answering 400/404 itself when there is none. */
export function streamFor(ctx: HttpContext, res: UWS.HttpResponse, req: UWS.HttpRequest): Stream | undefined {
  const name = req.getParameter(0) ?? '';
  if (!isValidStreamName(name)) {
    sendError(res, new FragcastError('INVALID_STREAM_NAME', { stream: name.slice(0, 80) }));
    return undefined;
  }
  const stream = ctx.registry.get(name);
  if (!stream) sendError(res, new FragcastError('STREAM_NOT_FOUND', { stream: name }));
  return stream;
}
