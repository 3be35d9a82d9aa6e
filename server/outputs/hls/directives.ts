import { FragcastError } from '../../errors.ts';

/** The delivery directives of a playlist request (RFC 8216bis §6.2.5). */
export interface DeliveryDirectives {
  /** `_HLS_msn`: block until segment M (or part `part` of it) exists. */
  readonly msn: number | undefined;
  readonly part: number | undefined;
  /** `_HLS_skip=YES|v2`: answer with a delta update. */
  readonly skip: boolean;
}

/** Where a timeline stands, as the directives are judged against it. */
export interface TimelinePosition {
  /** Media sequence number of the newest complete segment (one less than the timeline's first, before any). */
  readonly lastMsn: number;
  /** The newest published part, if any. */
  readonly lastPart: { readonly msn: number; readonly index: number } | undefined;
  readonly partTarget: number;
}

const DECIMAL = /^\d{1,15}$/;

function invalid(why: string): FragcastError {
  return new FragcastError('HLS_DIRECTIVE_INVALID', { why });
}

/**
 * Parses the query string of a playlist request. Other parameters are
 * ignored (CDNs add their own); the three directives are checked strictly.
 */
export function parseDirectives(query: string): DeliveryDirectives {
  const params = new URLSearchParams(query);
  const one = (name: string): string | undefined => {
    const values = params.getAll(name);
    if (values.length > 1) throw invalid(`${name} is given ${values.length} times`);
    return values[0];
  };
  const decimal = (name: string): number | undefined => {
    const text = one(name);
    if (text === undefined) return undefined;
    if (!DECIMAL.test(text)) throw invalid(`${name}=${text.slice(0, 20)} is not a decimal integer`);
    return Number(text);
  };
  const msn = decimal('_HLS_msn');
  const part = decimal('_HLS_part');
  // §6.2.5.2: "_HLS_part directive but no _HLS_msn directive ... MUST return Bad Request".
  if (part !== undefined && msn === undefined) throw invalid('_HLS_part needs _HLS_msn');
  const skip = one('_HLS_skip');
  if (skip !== undefined && skip !== 'YES' && skip !== 'v2') throw invalid(`_HLS_skip=${skip.slice(0, 20)} is not YES or v2`);
  return { msn, part, skip: skip !== undefined };
}

/**
 * §6.2.5.2 (SHOULD): a request more than two segments, or more than the
 * Advance Part Limit (3 s worth of parts), ahead of the playlist is answered
 * 400 at once instead of being parked.
 */
export function checkNotTooFar(directives: DeliveryDirectives, position: TimelinePosition): void {
  const { msn, part } = directives;
  if (msn === undefined) return;
  const lastPart = position.lastPart;
  const details = { msn: position.lastMsn, part: lastPart ? `${lastPart.msn}.${lastPart.index}` : 'none' };
  if (msn > position.lastMsn + 2) throw new FragcastError('HLS_DIRECTIVE_TOO_FAR', { what: `_HLS_msn=${msn}`, ...details });
  if (part === undefined) return;
  const limit = position.partTarget < 1 ? 3 / position.partTarget : 3;
  const from = lastPart ?? { msn: position.lastMsn + 1, index: -1 };
  // A later segment's parts come after the rest of this one: counting from its part 0 errs towards waiting.
  const ahead = msn === from.msn ? part - from.index : msn > from.msn ? part + 1 : 0;
  if (ahead > limit) throw new FragcastError('HLS_DIRECTIVE_TOO_FAR', { what: `_HLS_msn=${msn}&_HLS_part=${part}`, ...details });
}

/**
 * Whether the playlist already holds what the directives ask for: segment M
 * complete, or part N of segment M "or later" — a part index past the last of
 * segment M means part 0 of the next (§6.2.5.2), which a later part covers.
 * A request without `_HLS_msn` asks for nothing in particular.
 */
export function playlistHas(directives: DeliveryDirectives, position: TimelinePosition): boolean {
  const { msn, part } = directives;
  if (msn === undefined) return true;
  if (part === undefined) return position.lastMsn >= msn;
  const lastPart = position.lastPart;
  return lastPart !== undefined && (lastPart.msn > msn || (lastPart.msn === msn && lastPart.index >= part));
}
