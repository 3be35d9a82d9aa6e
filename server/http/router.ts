import { FragcastError } from '../errors.ts';
import { randomBytes } from 'node:crypto';
import type { Logger } from '../logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { StatsSampler } from '../observability/stats-sampler.ts';
import type { HlsOutput } from '../outputs/hls/hls-output.ts';
import type { KeyframeGateOptions } from '../outputs/keyframe-gate.ts';
import type { Snapshots } from '../outputs/snapshot/snapshots.ts';
import type { Viewers } from '../outputs/viewers.ts';
import type { ReconcileReport, StreamRegistry } from '../streams/registry.ts';
import type { Stream } from '../streams/stream.ts';
import { isValidStreamName } from '../streams/stream-name.ts';
import { doorOf, type Access, type Door } from './access.ts';
import type { Assets } from './assets.ts';
import type { OriginPolicy } from './cors.ts';
import type { AfterHandler } from './after-handler.ts';
import { BridgedRequest, type BridgedResponse } from './fanout/bridged.ts';
import type { RequestFacts } from './fanout/messages.ts';
import type { Limits } from './limits.ts';
import { markHead, sendError } from './respond.ts';
import type { LoadedUws, UWS } from './uws.ts';

type Method = 'get' | 'head' | 'post' | 'put' | 'del' | 'patch' | 'options';
type Handler = (res: UWS.HttpResponse, req: UWS.HttpRequest) => void;

/** What every request of a route goes through before its handler: true lets it in; false means it was answered. */
export type Gate = (door: Door, res: UWS.HttpResponse, req: UWS.HttpRequest) => boolean;

const METHOD_NAMES: Record<Method, string> = { get: 'GET', head: 'HEAD', post: 'POST', put: 'PUT', del: 'DELETE', patch: 'PATCH', options: 'OPTIONS' };

/** What route modules need from the server. */
export interface HttpContext {
  readonly uws: LoadedUws;
  readonly registry: StreamRegistry;
  readonly viewers: Viewers;
  readonly hls: HlsOutput;
  readonly assets: Assets;
  readonly logger: Logger;
  readonly snapshots: Snapshots;
  readonly metrics: Metrics;
  readonly stats: StatsSampler;
  /** Who may pass which door (access.ts); also the client's address and the credential to hand on. */
  readonly access: Access;
  /** Viewer caps, connections per address, header size (limits.ts). */
  readonly limits: Limits;
  /** Runs work once the uWS handler that asked for it has returned (after-handler.ts). */
  readonly afterHandler: AfterHandler;
  /** The viewer gate settings of a stream (its configuration's `viewers`). */
  readonly gateFor: (stream: string) => Partial<KeyframeGateOptions>;
  /** Which web origins may play a stream (its configuration's `cors.origins`). */
  readonly originsFor: (stream: string) => OriginPolicy;
  /** The configuration, for the API: shown redacted, reloaded on request. */
  readonly control: {
    config(): unknown;
    reload(): Promise<ReconcileReport>;
  };
}

/** A registered route, as the Router remembers it for 405 answers and for dispatch. */
interface RouteEntry {
  readonly method: string;
  readonly path: string;
  readonly pattern: RegExp;
  /** Per segment, how uWS ranks it: 0 static, 1 parameter, 2 wildcard (the most specific route wins). */
  readonly rank: readonly number[];
  /** What uWS runs for it: the handler behind the gate, or the ws route's behaviour (its upgrade behind the gate). */
  readonly handler?: Handler;
  readonly behavior?: UWS.WebSocketBehavior<unknown>;
}

/**
 * Registers routes on the uWS app and remembers them, so that a known URL
 * with the wrong method is answered 405 with an accurate Allow header, and
 * anything else 404 — both in the one JSON error shape. Every route gets
 * its door from access.ts (doorOf) and every request passes the gate
 * before its handler runs: no route can be registered without a door.
 */
export class Router {
  readonly app: UWS.TemplatedApp;
  readonly #gate: Gate;
  readonly #table: RouteEntry[] = [];
  #fallback: Handler | undefined;

  constructor(app: UWS.TemplatedApp, gate: Gate) {
    this.app = app;
    this.#gate = gate;
  }

  route(method: Method, pattern: string, handler: Handler): this {
    const name = METHOD_NAMES[method];
    const door = doorOf(name, pattern);
    const gate = this.#gate;
    const gated: Handler = (res, req) => {
      if (method === 'head') markHead(res);
      if (gate(door, res, req)) handler(res, req);
    };
    this.#remember(name, pattern, { handler: gated });
    this.app[method](pattern, gated);
    return this;
  }

  ws<UserData>(pattern: string, behavior: UWS.WebSocketBehavior<UserData>): this {
    const door = doorOf('GET', pattern);
    const gate = this.#gate;
    const upgrade = behavior.upgrade!;
    const gated: UWS.WebSocketBehavior<UserData> = {
      ...behavior,
      upgrade: (res, req, context) => {
        if (gate(door, res, req)) upgrade(res, req, context);
      },
    };
    this.#remember('GET', pattern, { behavior: gated as UWS.WebSocketBehavior<unknown> });
    this.app.ws<UserData>(pattern, gated);
    return this;
  }

  /**
   * Runs what uWS would run here for a request a fan-out thread received
   * (fanout/): the most specific route of its method and path (a static
   * segment before a parameter before a wildcard, as uWS ranks them), the
   * ws route's upgrade for an upgrade request, else the 404/405 fallback.
   */
  dispatch(facts: RequestFacts, res: BridgedResponse): void {
    const path = facts.url;
    const match = (want: (route: RouteEntry) => boolean): [RouteEntry, string[]] | undefined => {
      let best: [RouteEntry, string[]] | undefined;
      for (const route of this.#table) {
        if (!want(route)) continue;
        const found = route.pattern.exec(path);
        if (found && (!best || rankBefore(route.rank, best[0].rank))) best = [route, found.slice(1)];
      }
      return best;
    };
    const method = facts.method.toUpperCase();
    const ws = facts.upgrade ? match((route) => route.behavior !== undefined) : undefined;
    if (ws) {
      res.behavior = ws[0].behavior;
      ws[0].behavior!.upgrade!(res as unknown as UWS.HttpResponse, new BridgedRequest(facts, ws[1]) as unknown as UWS.HttpRequest, undefined as unknown as UWS.us_socket_context_t);
      return;
    }
    const http = match((route) => route.handler !== undefined && route.method === method);
    const handler = http?.[0].handler ?? this.#fallback!;
    handler(res as unknown as UWS.HttpResponse, new BridgedRequest(facts, http?.[1] ?? []) as unknown as UWS.HttpRequest);
  }

  /** Every registered route as `METHOD /pattern`, for tests that hold the routes and their documentation together. */
  routes(): string[] {
    return this.#table.map((route) => `${route.method} ${route.path}`);
  }

  /** The methods a URL answers to, or undefined when no route has that path. */
  allowed(url: string): string | undefined {
    const methods = new Set(this.#table.filter((r) => r.pattern.test(url)).map((r) => r.method));
    return methods.size ? [...methods].join(', ') : undefined;
  }

  /** Registers the catch-all 405/404; must come after every other route. */
  fallback(): void {
    this.#fallback = (res, req) => {
      const method = req.getCaseSensitiveMethod();
      if (method.toUpperCase() === 'HEAD') markHead(res);
      const url = req.getUrl().slice(0, 200);
      const allow = this.allowed(url);
      if (allow) sendError(res, new FragcastError('METHOD_NOT_ALLOWED', { method, url }), [['Allow', allow]]);
      else sendError(res, new FragcastError('NOT_FOUND', { method, url }));
    };
    this.app.any('/*', this.#fallback);
  }

  #remember(method: string, pattern: string, run: Pick<RouteEntry, 'handler' | 'behavior'>): void {
    const parts = pattern.split('/');
    const source = parts.map((part) => (part.startsWith(':') ? '([^/]+)' : part === '*' ? '.*' : part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))).join('/');
    const rank = parts.map((part) => (part.startsWith(':') ? 1 : part === '*' ? 2 : 0));
    this.#table.push({ method, path: pattern, pattern: new RegExp(`^${source}$`), rank, ...run });
  }
}

/** Whether a route of rank `a` is more specific than one of rank `b`, segment by segment. */
function rankBefore(a: readonly number[], b: readonly number[]): boolean {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! < b[i]!;
  return a.length > b.length;
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

/** The scheme and host a request was made to, for absolute URLs in pages (the embed snippet). The Host header is checked, not trusted. */
export function originOf(req: UWS.HttpRequest, fallbackHost: string): string {
  const host = req.getHeader('host');
  const proto = req.getHeader('x-forwarded-proto') === 'https' ? 'https' : 'http';
  return `${proto}://${/^[A-Za-z0-9.-]{1,253}(:\d{1,5})?$|^\[[0-9A-Fa-f:.]{2,45}\](:\d{1,5})?$/.test(host) ? host : fallbackHost}`;
}

/** A request id for log lines and the X-Request-Id answer: the client's when it is sane, else a fresh one. */
export function requestId(req: UWS.HttpRequest): string {
  const given = req.getHeader('x-request-id');
  return /^[\w.:-]{1,64}$/.test(given) ? given : randomBytes(6).toString('base64url');
}
