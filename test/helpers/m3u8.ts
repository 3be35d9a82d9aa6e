/** A small reader of the media playlists fragcast writes, for assertions (not a general M3U8 parser). */

export interface ParsedPart {
  readonly duration: number;
  readonly uri: string;
  readonly independent: boolean;
}

export interface ParsedSegment {
  readonly msn: number;
  readonly discontinuity: boolean;
  readonly map: string | undefined;
  readonly programDate: string | undefined;
  readonly parts: ParsedPart[];
  /** Undefined for the open segment at the end (parts only). */
  duration: number | undefined;
  uri: string | undefined;
}

export interface ParsedPlaylist {
  readonly tags: Map<string, string>;
  readonly segments: ParsedSegment[];
  readonly skipped: number;
  readonly hint: string | undefined;
  readonly dateRanges: Record<string, string>[];
  readonly lines: string[];
}

/** Attribute list (RFC 8216 §4.2) to a record; quoted strings lose their quotes. */
export function attributes(list: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const match of list.matchAll(/([A-Z0-9-]+)=("[^"]*"|[^,]*)/g)) out[match[1]!] = match[2]!.replace(/^"|"$/g, '');
  return out;
}

export function parsePlaylist(playlist: string | Buffer): ParsedPlaylist {
  const lines = String(playlist).split('\n').filter((line) => line.length > 0);
  if (lines[0] !== '#EXTM3U') throw new Error('not a playlist');
  const tags = new Map<string, string>();
  const segments: ParsedSegment[] = [];
  const dateRanges: Record<string, string>[] = [];
  let skipped = 0;
  let hint: string | undefined;
  let msn = 0;
  let current: ParsedSegment | undefined;
  let pending = { discontinuity: false, map: undefined as string | undefined };
  const open = (): ParsedSegment => {
    if (!current) {
      current = { msn: msn++, discontinuity: pending.discontinuity, map: pending.map, programDate: undefined, parts: [], duration: undefined, uri: undefined };
      pending = { discontinuity: false, map: undefined };
      segments.push(current);
    }
    return current;
  };
  for (const line of lines.slice(1)) {
    const [tag, value = ''] = line.startsWith('#') ? [line.slice(0, line.indexOf(':') < 0 ? line.length : line.indexOf(':')), line.slice(line.indexOf(':') + 1)] : ['URI', line];
    switch (tag) {
      case '#EXT-X-MEDIA-SEQUENCE':
        msn = Number(value);
        tags.set(tag, value);
        break;
      case '#EXT-X-SKIP':
        skipped = Number(attributes(value)['SKIPPED-SEGMENTS']);
        msn += skipped;
        break;
      case '#EXT-X-DISCONTINUITY':
        pending.discontinuity = true;
        break;
      case '#EXT-X-MAP':
        pending.map = attributes(value).URI;
        break;
      case '#EXT-X-PROGRAM-DATE-TIME':
        (open() as { programDate: string | undefined }).programDate = value;
        break;
      case '#EXT-X-PART': {
        const attrs = attributes(value);
        open().parts.push({ duration: Number(attrs.DURATION), uri: attrs.URI!, independent: attrs.INDEPENDENT === 'YES' });
        break;
      }
      case '#EXTINF':
        open().duration = Number(value.split(',')[0]);
        break;
      case 'URI':
        open().uri = line;
        current = undefined;
        break;
      case '#EXT-X-PRELOAD-HINT':
        hint = attributes(value).URI;
        break;
      case '#EXT-X-DATERANGE':
        dateRanges.push(attributes(value));
        break;
      default:
        tags.set(tag, value);
    }
  }
  return { tags, segments, skipped, hint, dateRanges, lines };
}
