import type { ErrorCode } from '../errors.ts';
import type { OutputKind, SessionSnapshot } from '../outputs/viewer-session.ts';
import type { HlsOutput } from '../outputs/hls/hls-output.ts';
import type { Viewers } from '../outputs/viewers.ts';
import type { SourceState } from '../sources/source.ts';
import type { StreamEntry } from '../streams/registry.ts';

/**
 * The JSON shapes of the control API, one function per shape. Each is
 * documented as a schema in docs/openapi.json; server/test/api.test.ts checks
 * real responses against those schemas (no undocumented field passes).
 */

export interface StreamSummary {
  readonly name: string;
  /** The source's state: idle, starting, running, backoff, closed. */
  readonly state: SourceState;
  /** True once the stream has an init and a cached keyframe: a viewer starts at once, a snapshot can be taken. */
  readonly ready: boolean;
  readonly generation: number;
  /** The newest cached keyframe (what a new viewer starts from and a snapshot shows). */
  readonly keyframe: { readonly seq: number; readonly ageMs: number } | null;
  readonly mime: string | null;
  readonly tracks: readonly { kind: string; codec: string; width?: number; height?: number; sampleRate?: number; channels?: number }[];
  /** Bits per second of the newest complete GOP. */
  readonly bitrate: number | null;
  /** Duration of the newest complete GOP: the keyframe interval. */
  readonly gopSeconds: number | null;
  readonly cache: { readonly gops: number; readonly bytes: number; readonly seconds: number };
  readonly viewers: Readonly<Record<OutputKind, number>> & { readonly total: number };
  readonly source: {
    readonly kind: string;
    readonly restarts: number;
    readonly lastExit: { code: number | null; signal: string | null; ranForMs: number; reason: string | null } | null;
    readonly lastError: { code: ErrorCode; message: string; atMs: number } | null;
  };
  readonly ingest: { readonly bytes: number; readonly fragments: number; readonly keyframes: number; readonly inputErrors: number; readonly lastFragmentMs: number | null };
  /** The LL-HLS timeline: its DVR window and the requests parked on it; null before the stream's first segment. */
  readonly hls: { readonly segments: number; readonly seconds: number; readonly memoryBytes: number; readonly spillBytes: number; readonly parked: number } | null;
  /** Timeline markers of the stream (GET /api/streams/NAME/markers lists them). */
  readonly markers: number;
  readonly links: { readonly player: string; readonly ws: string; readonly mp4: string; readonly hls: string; readonly snapshot: string; readonly snapshotMp4: string };
}

const round3 = (value: number): number => Number(value.toFixed(3));

/** What the home page and `GET /api/streams[/NAME]` show of a stream. */
export function summarizeStream({ stream, source, lastError }: StreamEntry, viewers: Viewers, hls: HlsOutput): StreamSummary {
  const init = stream.init;
  const dvr = hls.timeline(stream.name)?.stats;
  const base = `/streams/${stream.name}`;
  const gop = stream.cache.lastComplete;
  const exit = source.lastExit;
  const stats = stream.stats;
  const keyframe = stream.cache.newest?.first;
  return {
    name: stream.name,
    state: source.state,
    ready: init !== undefined && keyframe !== undefined,
    generation: init?.generation ?? 0,
    keyframe: keyframe ? { seq: keyframe.seq, ageMs: Date.now() - keyframe.arrivalMs } : null,
    mime: init?.info.mime ?? null,
    tracks: (init?.info.tracks ?? []).map(({ kind, codec, width, height, sampleRate, channels }) => ({
      kind,
      codec,
      ...(width !== undefined ? { width, height } : {}),
      ...(sampleRate !== undefined ? { sampleRate, channels } : {}),
    })),
    bitrate: stream.bitrate === undefined ? null : Math.round(stream.bitrate),
    gopSeconds: gop ? round3(gop.duration) : null,
    cache: { gops: stream.cache.gopCount, bytes: stream.cache.bytes, seconds: round3(stream.cache.duration) },
    viewers: viewers.countByOutput(stream),
    source: {
      kind: source.kind,
      restarts: source.restarts,
      lastExit: exit ? { code: exit.code, signal: exit.signal, ranForMs: exit.ranForMs, reason: exit.reason ?? null } : null,
      lastError: lastError ?? null,
    },
    hls: dvr ? { segments: dvr.segments, seconds: round3(dvr.seconds), memoryBytes: dvr.memoryBytes, spillBytes: dvr.spillBytes, parked: dvr.parked } : null,
    markers: stream.markers.list().length,
    ingest: { bytes: stats.bytesIn, fragments: stats.fragmentsIn, keyframes: stats.keyframesIn, inputErrors: stats.inputErrors, lastFragmentMs: stats.lastFragmentMs ?? null },
    links: {
      player: base,
      ws: `${base}/ws`,
      mp4: `${base}/live.mp4`,
      hls: `${base}/index.m3u8`,
      snapshot: `${base}/snapshot.jpg`,
      snapshotMp4: `${base}/snapshot.mp4`,
    },
  };
}

export type StreamLinks = StreamSummary['links'];

/** The links of a stream with a viewer credential (`exp=…&sig=…`, `token=…`) on each; as they are when there is none. */
export function linksWith(links: StreamLinks, query: string): StreamLinks {
  if (!query) return links;
  return Object.fromEntries(Object.entries(links).map(([kind, url]) => [kind, `${url}?${query}`])) as unknown as StreamLinks;
}

/** A viewer session as `GET /api/sessions` shows it. */
export interface SessionInfo extends SessionSnapshot {
  readonly connectedForMs: number;
}

export function describeSession(snapshot: SessionSnapshot, nowMs = Date.now()): SessionInfo {
  return { ...snapshot, connectedForMs: nowMs - snapshot.connectedAt };
}
