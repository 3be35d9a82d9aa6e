import { FragcastError } from '../../errors.ts';
import { checkNotTooFar, parseDirectives, playlistHas, type DeliveryDirectives } from '../../outputs/hls/directives.ts';
import { parseMediaName } from '../../outputs/hls/names.ts';
import type { HlsTimeline } from '../../outputs/hls/timeline.ts';
import { acceptsGzip, sendBody, sendBuffer, sendError } from '../respond.ts';
import { playerStreamFor } from '../cors.ts';
import type { HttpContext, Router } from '../router.ts';
import type { UWS } from '../uws.ts';

export const PLAYLIST_TYPE = 'application/vnd.apple.mpegurl';

/** Parts, segments and init segments never change under their name (see outputs/hls/names.ts): a year, immutable. */
const MEDIA_CACHE = 'public, max-age=31536000, immutable';
/** A plain playlist request: a cache may keep it for a second (non-LL clients reload every half target duration). */
const PLAYLIST_CACHE = 'public, max-age=1';

/**
 * A blocking reload's answer holds what its URL asked for (segment M or
 * part N of it, or later) whenever it is served: a cache may keep it for as
 * long as the segments it lists stay downloadable, which is far longer
 * than three target durations.
 */
function blockingCache(timeline: HlsTimeline): string {
  return `public, max-age=${3 * timeline.targetDuration}`;
}

function timelineFor(ctx: HttpContext, res: UWS.HttpResponse, req: UWS.HttpRequest): HlsTimeline | undefined {
  const stream = playerStreamFor(ctx, res, req);
  if (!stream) return undefined;
  const timeline = ctx.hls.timeline(stream.name);
  if (!timeline) sendError(res, new FragcastError('STREAM_NOT_FOUND', { stream: stream.name }));
  return timeline;
}

/** Tracks whether the client went away; uWS requires the handler before answering later. */
function abortFlag(res: UWS.HttpResponse, onAbort: () => void = () => {}): () => boolean {
  let aborted = false;
  res.onAborted(() => {
    aborted = true;
    onAbort();
  });
  return () => aborted;
}

/**
 * Parks a request on the timeline until `test` holds, then calls `answer`;
 * after three target durations it is answered 503 (RFC 8216bis §6.2.5.2),
 * or 404 when the stream went away meanwhile. A waiting request counts
 * against its client's connections (limits.viewers_per_ip): over it, 429.
 */
function park(ctx: HttpContext, res: UWS.HttpResponse, req: UWS.HttpRequest, timeline: HlsTimeline, key: string, test: () => boolean, what: string, answer: (isAborted: () => boolean) => void): void {
  const release = ctx.limits.holdWaiting(res, ctx.access.clientAddress(res, req));
  if (!release) return;
  let cancel = (): void => {};
  const isAborted = abortFlag(res, () => {
    release();
    cancel();
  });
  cancel = timeline.waiters.park(key, test, timeline.blockingTimeoutMs, {
    ready: () => {
      release();
      answer(isAborted);
    },
    expired: () => {
      release();
      if (isAborted()) return;
      const { name } = timeline.stream;
      sendError(res, timeline.closed ? new FragcastError('STREAM_NOT_FOUND', { stream: name }) : new FragcastError('HLS_BLOCKING_TIMEOUT', { stream: name, what, seconds: timeline.blockingTimeoutMs / 1000 }));
    },
  });
}

/** `query`: the viewer's credential, carried into every URI of the playlist (empty for a public stream). */
function sendPlaylist(res: UWS.HttpResponse, timeline: HlsTimeline, directives: DeliveryDirectives, gzip: boolean, query: string, isAborted: () => boolean): void {
  if (isAborted()) return;
  // A playlist with a viewer's credential in it is that viewer's: no shared cache may keep it.
  const cache = query ? 'private, no-store' : directives.msn === undefined ? PLAYLIST_CACHE : blockingCache(timeline);
  const headers: [string, string][] = [['Cache-Control', cache], ['Vary', 'Accept-Encoding']];
  if (gzip) headers.push(['Content-Encoding', 'gzip']);
  sendBody(res, 200, PLAYLIST_TYPE, timeline.playlist(directives.skip, gzip, query), headers);
}

function sendMedia(res: UWS.HttpResponse, timeline: HlsTimeline, file: string, bytes: Buffer | undefined, isAborted: () => boolean): void {
  if (isAborted()) return;
  if (!bytes) {
    sendError(res, new FragcastError('HLS_MEDIA_NOT_FOUND', { file, stream: timeline.stream.name }));
    return;
  }
  sendBuffer(res, 200, [['Content-Type', 'video/mp4'], ['Cache-Control', MEDIA_CACHE]], bytes, isAborted);
}

/** `/streams/NAME/index.m3u8` (LL-HLS media playlist, blocking reload) and `/streams/NAME/hls/FILE` (init, parts, segments). */
export function hlsRoutes(router: Router, ctx: HttpContext): void {
  router.route('get', '/streams/:name/index.m3u8', (res, req) => {
    const timeline = timelineFor(ctx, res, req);
    if (!timeline) return;
    let directives: DeliveryDirectives;
    try {
      directives = parseDirectives(req.getQuery() ?? '');
      checkNotTooFar(directives, timeline.position);
    } catch (error) {
      sendError(res, error as FragcastError);
      return;
    }
    const gzip = acceptsGzip(req);
    const { query } = ctx.access.grantOf(req, timeline.stream.name);
    // Every answer is a whole playlist with at least one segment: before the first, even a plain request waits.
    const ready = (): boolean => timeline.hasPlaylist && playlistHas(directives, timeline.position);
    if (ready()) {
      sendPlaylist(res, timeline, directives, gzip, query, () => false);
      return;
    }
    const { msn, part } = directives;
    const what = msn === undefined ? 'segment' : part === undefined ? `segment ${msn}` : `part ${part} of segment ${msn}`;
    park(ctx, res, req, timeline, `playlist ${msn ?? ''}.${part ?? ''}`, ready, what, (isAborted) => sendPlaylist(res, timeline, directives, gzip, query, isAborted));
  });

  router.route('get', '/streams/:name/hls/:file', (res, req) => {
    const timeline = timelineFor(ctx, res, req);
    if (!timeline) return;
    const file = req.getParameter(1) ?? '';
    const name = parseMediaName(file);
    const notFound = (): void => sendError(res, new FragcastError('HLS_MEDIA_NOT_FOUND', { file: file.slice(0, 80), stream: timeline.stream.name }));
    if (!name || name.run !== timeline.run) {
      notFound();
      return;
    }
    if (name.kind === 'init') {
      sendMedia(res, timeline, file, timeline.init(name.generation), () => false);
      return;
    }
    if (name.kind === 'segment') {
      const serve = (isAborted: () => boolean): void => void timeline.segment(name.msn).then((bytes) => sendMedia(res, timeline, file, bytes, isAborted));
      if (timeline.isOpen(name.msn)) park(ctx, res, req, timeline, `segment ${name.msn}`, () => !timeline.isOpen(name.msn), `segment ${name.msn}`, serve);
      else serve(abortFlag(res));
      return;
    }
    const serve = (isAborted: () => boolean): void => void timeline.part(name.n).then((bytes) => sendMedia(res, timeline, file, bytes, isAborted));
    if (timeline.hasPart(name.n)) {
      serve(abortFlag(res));
      return;
    }
    // The preload hint names the next part; a request for it (or a few past it, within the Advance Part Limit) waits for it.
    const aheadLimit = Math.max(1, 3 / timeline.partTarget);
    if (name.n - timeline.nextPart >= aheadLimit) {
      notFound();
      return;
    }
    park(ctx, res, req, timeline, `part ${name.n}`, () => timeline.hasPart(name.n), `part ${name.n}`, serve);
  });
}
