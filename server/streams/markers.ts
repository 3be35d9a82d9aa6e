import { FragcastError } from '../errors.ts';
import type { MarkerDescription } from '../protocol.ts';

/** A labelled instant on a stream's timeline (a goal, a slide change, "the outage started here"). */
export interface Marker {
  /** Unique across server restarts (it becomes an EXT-X-DATERANGE ID, which a player must never see reused). */
  readonly id: string;
  readonly label: string;
  /** Wallclock (Unix ms) the marker points at. */
  readonly timeMs: number;
  /** Wallclock (Unix ms) when it was added. */
  readonly createdMs: number;
}

export interface MarkerOptions {
  /** Markers kept per stream; the oldest goes first. Default 100. */
  readonly maxCount: number;
  /** Longest label, in characters (code points). Default 200. */
  readonly maxLabelLength: number;
  /** How far (ms) a marker's time may lie from now, either way. Default 24 h. */
  readonly maxDistanceMs: number;
}

export const MARKER_DEFAULTS: MarkerOptions = Object.freeze({
  maxCount: 100,
  maxLabelLength: 200,
  maxDistanceMs: 24 * 3600 * 1000,
});

/** RFC 3339 date-time with a zone: what EXT-X-DATERANGE START-DATE carries (ISO 8601). */
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d{1,9})?(?:Z|[+-](\d{2}):(\d{2}))$/;

/** Whether the fields of an RFC3339 match name a real instant (Date.parse rolls 31 February over into March). */
function isRealDate(match: RegExpExecArray): boolean {
  const [year, month, day, hour, minute, second, zoneHour = 0, zoneMinute = 0] = match.slice(1).map((field) => (field === undefined ? undefined : Number(field))) as number[];
  const date = new Date(Date.UTC(year!, month! - 1, day!));
  return date.getUTCMonth() === month! - 1 && date.getUTCDate() === day && hour! < 24 && minute! < 60 && second! < 60 && zoneHour < 24 && zoneMinute < 60;
}
/**
 * Control characters (C0, DEL, C1), and '"', which an HLS quoted-string
 * cannot carry (RFC 8216 §4.2) — a label must reach every viewer unchanged.
 */
const FORBIDDEN_IN_LABEL = /[\u0000-\u001f\u007f-\u009f"\u2028\u2029]/u;

export interface MarkerInput {
  readonly label: string;
  readonly timeMs: number | undefined;
}

function invalid(why: string): FragcastError {
  return new FragcastError('MARKER_INVALID', { why });
}

/**
 * Checks a request body for `POST /api/streams/NAME/markers`: exactly
 * `{ "label": string, "time"?: RFC 3339 string }`, nothing else. Throws
 * MARKER_INVALID naming the first problem.
 */
export function parseMarkerInput(body: unknown, nowMs: number, options: MarkerOptions = MARKER_DEFAULTS): MarkerInput {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalid('the body must be a JSON object');
  const extra = Object.keys(body).filter((key) => key !== 'label' && key !== 'time');
  if (extra.length) throw invalid(`unknown field "${extra[0]!.slice(0, 40)}" (allowed: label, time)`);
  const { label, time } = body as { label?: unknown; time?: unknown };
  if (typeof label !== 'string') throw invalid('"label" must be a string');
  const trimmed = label.trim();
  const length = [...trimmed].length;
  if (length === 0) throw invalid('"label" is empty');
  if (length > options.maxLabelLength) throw invalid(`"label" has ${length} characters, more than ${options.maxLabelLength}`);
  if (FORBIDDEN_IN_LABEL.test(trimmed)) throw invalid('"label" contains a control character or a double quote');
  if (time === undefined) return { label: trimmed, timeMs: undefined };
  const match = typeof time === 'string' ? RFC3339.exec(time) : null;
  if (!match) throw invalid('"time" must be an RFC 3339 date-time with a zone, e.g. "2024-05-01T12:00:00.000Z"');
  const timeMs = Date.parse(match[0]);
  if (!Number.isFinite(timeMs) || !isRealDate(match)) throw invalid(`"time" ${match[0]} is not a real date`);
  if (Math.abs(timeMs - nowMs) > options.maxDistanceMs) {
    throw invalid(`"time" is more than ${options.maxDistanceMs / 3_600_000} h away from now`);
  }
  return { label: trimmed, timeMs };
}

/** A marker as the API and the WebSocket protocol show it. */
export function describeMarker(marker: Marker): MarkerDescription {
  return { id: marker.id, label: marker.label, time: new Date(marker.timeMs).toISOString() };
}

/** The markers of one stream, newest last, bounded in count. */
export class MarkerStore {
  readonly options: MarkerOptions;
  readonly #markers: Marker[] = [];
  #counter = 0;
  /** Prefix that makes IDs unique across restarts: the store's creation time. */
  readonly #epoch = Date.now().toString(36);

  constructor(options: Partial<MarkerOptions> = {}) {
    this.options = Object.freeze({ ...MARKER_DEFAULTS, ...options });
  }

  list(): readonly Marker[] {
    return this.#markers;
  }

  add(input: MarkerInput, nowMs = Date.now()): Marker {
    const marker: Marker = Object.freeze({
      id: `m${this.#epoch}-${++this.#counter}`,
      label: input.label,
      timeMs: input.timeMs ?? nowMs,
      createdMs: nowMs,
    });
    this.#keep(marker);
    return marker;
  }

  /** Keeps a marker made by another store (the origin's, for a replica in a fan-out thread), its id and times unchanged. */
  adopt(marker: Marker): void {
    this.#keep(Object.freeze({ ...marker }));
  }

  #keep(marker: Marker): void {
    this.#markers.push(marker);
    if (this.#markers.length > this.options.maxCount) this.#markers.shift();
  }
}
