import type { HlsOutput } from '../outputs/hls/hls-output.ts';
import type { Viewers } from '../outputs/viewers.ts';
import type { StreamEntry } from '../streams/registry.ts';

export interface StreamSummary {
  readonly name: string;
  readonly state: string;
  readonly generation: number;
  readonly mime: string | undefined;
  readonly tracks: readonly { kind: string; codec: string; width?: number; height?: number; sampleRate?: number; channels?: number }[];
  readonly bitrate: number | undefined;
  readonly viewers: { readonly ws: number; readonly 'http-mp4': number; readonly total: number };
  readonly cache: { readonly gops: number; readonly bytes: number; readonly seconds: number };
  /** The LL-HLS timeline: its DVR window and the requests parked on it. */
  readonly hls: { readonly segments: number; readonly seconds: number; readonly memoryBytes: number; readonly spillBytes: number; readonly parked: number } | undefined;
  readonly markers: number;
  readonly restarts: number;
  readonly lastFragmentMs: number | undefined;
  readonly links: { readonly player: string; readonly ws: string; readonly mp4: string; readonly hls: string };
}

/** What the home page and `GET /api/streams` show of a stream. */
export function summarizeStream({ stream, source }: StreamEntry, viewers: Viewers, hls: HlsOutput): StreamSummary {
  const init = stream.init;
  const dvr = hls.timeline(stream.name)?.stats;
  const base = `/streams/${stream.name}`;
  return {
    name: stream.name,
    state: source.state,
    generation: init?.generation ?? 0,
    mime: init?.info.mime,
    tracks: (init?.info.tracks ?? []).map(({ kind, codec, width, height, sampleRate, channels }) => ({
      kind,
      codec,
      ...(width !== undefined ? { width, height } : {}),
      ...(sampleRate !== undefined ? { sampleRate, channels } : {}),
    })),
    bitrate: stream.bitrate === undefined ? undefined : Math.round(stream.bitrate),
    viewers: { ws: viewers.count(stream, 'ws'), 'http-mp4': viewers.count(stream, 'http-mp4'), total: viewers.count(stream) },
    cache: { gops: stream.cache.gopCount, bytes: stream.cache.bytes, seconds: Number(stream.cache.duration.toFixed(3)) },
    hls: dvr && { segments: dvr.segments, seconds: Number(dvr.seconds.toFixed(3)), memoryBytes: dvr.memoryBytes, spillBytes: dvr.spillBytes, parked: dvr.parked },
    markers: stream.markers.list().length,
    restarts: source.restarts,
    lastFragmentMs: stream.stats.lastFragmentMs,
    links: { player: base, ws: `${base}/ws`, mp4: `${base}/live.mp4`, hls: `${base}/index.m3u8` },
  };
}
