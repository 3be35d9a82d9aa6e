import type { Marker } from '../../streams/markers.ts';
import { initName, MEDIA_DIR, partName, segmentName } from './names.ts';
import type { HlsSegment } from './segment.ts';

/** What the playlist shows of a timeline at one moment. */
export interface PlaylistView {
  readonly run: string;
  /** EXT-X-TARGETDURATION, whole seconds; fixed for the timeline's life (RFC 8216bis §6.2.1). */
  readonly targetDuration: number;
  /** EXT-X-PART-INF PART-TARGET, seconds. */
  readonly partTarget: number;
  readonly discontinuitySequence: number;
  /** Complete segments in the DVR window, oldest first, with consecutive media sequence numbers. */
  readonly segments: readonly HlsSegment[];
  /** The segment being filled, with the parts published so far. */
  readonly open: HlsSegment | undefined;
  /** Number of the next part, for EXT-X-PRELOAD-HINT. */
  readonly nextPart: number;
  readonly markers: readonly Marker[];
}

export interface RenderOptions {
  /** `_HLS_skip=YES` (or `v2`): a Playlist Delta Update (RFC 8216bis §6.2.5.1). */
  readonly skip: boolean;
}

/** EXT-X-SKIP needs version 9 (RFC 8216bis §8); nothing here needs more. */
export const PLAYLIST_VERSION = 9;

export const MARKER_DATERANGE_CLASS = 'com.fragcast.marker';

export interface ServerControl {
  /** Seconds a client stays behind the live edge when playing parts: 3 part targets (RFC 8216bis §4.4.3.8 SHOULD). */
  readonly partHoldBack: number;
  /** The same for clients that play whole segments: 3 target durations (the minimum). */
  readonly holdBack: number;
  /** Delta updates skip segments older than this (s): 6 target durations, the minimum allowed. */
  readonly canSkipUntil: number;
}

/** Rounds up to whole milliseconds: a rounded bound must still hold for the exact values under it. */
function ceilMs(seconds: number): number {
  return Math.ceil(seconds * 1000 - 1e-6) / 1000;
}

export function serverControl(view: Pick<PlaylistView, 'partTarget' | 'targetDuration'>): ServerControl {
  const partTarget = ceilMs(view.partTarget);
  return { partHoldBack: ceilMs(3 * partTarget), holdBack: 3 * view.targetDuration, canSkipUntil: 6 * view.targetDuration };
}

/** Part and segment durations: five decimals keep a sum of 1/30 s frames within a microsecond per part. */
function seconds(value: number): string {
  return value.toFixed(5);
}

function isoDate(ms: number): string {
  return new Date(ms).toISOString();
}

/**
 * Index of the first segment whose parts are listed: EXT-X-PART tags go once
 * they are more than three target durations from the end (RFC 8216bis
 * §6.2.2). Whole segments at a time, so a listed segment has all its parts.
 */
function firstSegmentWithParts(view: PlaylistView): number {
  const limit = 3 * view.targetDuration + 1e-6;
  let fromEnd = view.open?.duration ?? 0;
  let index = view.segments.length;
  while (index > 0 && fromEnd + view.segments[index - 1]!.duration <= limit) {
    index--;
    fromEnd += view.segments[index]!.duration;
  }
  return index;
}

/** How many leading segments a delta update skips: those ending more than CAN-SKIP-UNTIL before the last one ends. */
function skippedSegments(view: PlaylistView, canSkipUntil: number): number {
  let fromEnd = 0;
  for (let i = view.segments.length - 1; i >= 0; i--) {
    if (fromEnd >= canSkipUntil) return i + 1;
    fromEnd += view.segments[i]!.duration;
  }
  return 0;
}

/**
 * Renders a Low-Latency HLS media playlist (RFC 8216bis) for a view. Pure:
 * the same view gives the same text, so a timeline renders once per update
 * however many requests wait for it.
 */
export function renderPlaylist(view: PlaylistView, options: RenderOptions): string {
  const { run, segments, open } = view;
  const control = serverControl(view);
  const lines: string[] = [
    '#EXTM3U',
    `#EXT-X-VERSION:${PLAYLIST_VERSION}`,
    `#EXT-X-TARGETDURATION:${view.targetDuration}`,
    `#EXT-X-MEDIA-SEQUENCE:${segments[0]?.msn ?? open?.msn ?? 0}`,
    `#EXT-X-DISCONTINUITY-SEQUENCE:${view.discontinuitySequence}`,
    `#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,CAN-SKIP-UNTIL=${control.canSkipUntil.toFixed(1)},HOLD-BACK=${control.holdBack.toFixed(3)},PART-HOLD-BACK=${control.partHoldBack.toFixed(3)}`,
    `#EXT-X-PART-INF:PART-TARGET=${ceilMs(view.partTarget).toFixed(3)}`,
  ];
  if (segments.every((segment) => segment.independent) && (open?.independent ?? true)) lines.push('#EXT-X-INDEPENDENT-SEGMENTS');

  const skip = options.skip ? skippedSegments(view, control.canSkipUntil) : 0;
  if (skip > 0) lines.push(`#EXT-X-SKIP:SKIPPED-SEGMENTS=${skip}`);
  const withParts = firstSegmentWithParts(view);
  let mappedGeneration = -1;
  const segmentTags = (segment: HlsSegment, listParts: boolean): void => {
    // Printed on the first listed segment too: EXT-X-DISCONTINUITY-SEQUENCE counts only the segments that left the window.
    if (segment.discontinuity) lines.push('#EXT-X-DISCONTINUITY');
    if (segment.generation !== mappedGeneration) {
      lines.push(`#EXT-X-MAP:URI="${MEDIA_DIR}/${initName(run, segment.generation)}"`);
      mappedGeneration = segment.generation;
    }
    lines.push(`#EXT-X-PROGRAM-DATE-TIME:${isoDate(segment.programDateMs)}`);
    if (!listParts) return;
    for (const part of segment.parts) {
      lines.push(`#EXT-X-PART:DURATION=${seconds(part.duration)},URI="${MEDIA_DIR}/${partName(run, part.n)}"${part.independent ? ',INDEPENDENT=YES' : ''}`);
    }
  };
  for (let i = skip; i < segments.length; i++) {
    const segment = segments[i]!;
    segmentTags(segment, i >= withParts);
    lines.push(`#EXTINF:${seconds(segment.duration)},`, `${MEDIA_DIR}/${segmentName(run, segment.msn)}`);
  }
  const hint = open !== undefined && (open.parts.length > 0 || !open.discontinuity);
  if (open && open.parts.length > 0) segmentTags(open, true);

  const windowStart = segments[0]?.programDateMs ?? open?.programDateMs ?? 0;
  for (const marker of view.markers) {
    if (marker.timeMs < windowStart) continue;
    lines.push(`#EXT-X-DATERANGE:ID="${marker.id}",CLASS="${MARKER_DATERANGE_CLASS}",START-DATE="${isoDate(marker.timeMs)}",X-LABEL="${marker.label}"`);
  }
  if (hint) lines.push(`#EXT-X-PRELOAD-HINT:TYPE=PART,URI="${MEDIA_DIR}/${partName(run, view.nextPart)}"`);
  return `${lines.join('\n')}\n`;
}

/** A URI of the playlist: a line of its own (a segment), or a `URI="…"` attribute (EXT-X-MAP, EXT-X-PART, EXT-X-PRELOAD-HINT). */
const MEDIA_URI = new RegExp(`(^|URI=")(${MEDIA_DIR}/[^"\\s?]+)`, 'gm');

/**
 * Appends `query` to every media URI of a rendered playlist: a signed
 * link's or token's credential must reach each part, segment and init
 * request, which the player makes from these URIs (RFC 8216bis §4.1:
 * relative to the playlist URL, whose own query they do not inherit).
 * `query` must be URL-encoded (it is put between quotes as it is).
 */
export function carryQuery(playlist: string, query: string): string {
  return playlist.replace(MEDIA_URI, `$1$2?${query}`);
}
