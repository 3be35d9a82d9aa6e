/**
 * The names of HLS media resources. Each name says which run of the
 * timeline made it (a base-36 stamp of its creation), so a name is never
 * reused, not even after a restart of fragcast: a CDN may cache every name
 * forever (`immutable`). Parts are numbered across segments, so the preload
 * hint for the next part always names the part that will come, wherever
 * its segment boundary falls.
 *
 * Names are made by fragcast and parsed back strictly: request data never
 * reaches a file path (spilled segments have names of the store's own).
 */

export type MediaName =
  | { readonly run: string; readonly kind: 'init'; readonly generation: number }
  | { readonly run: string; readonly kind: 'segment'; readonly msn: number }
  | { readonly run: string; readonly kind: 'part'; readonly n: number };

/** Playlist URIs are relative to `/streams/NAME/index.m3u8`. */
export const MEDIA_DIR = 'hls';

export function initName(run: string, generation: number): string {
  return `${run}-i${generation}.mp4`;
}

export function segmentName(run: string, msn: number): string {
  return `${run}-s${msn}.m4s`;
}

export function partName(run: string, n: number): string {
  return `${run}-p${n}.m4s`;
}

const MEDIA_NAME = /^([0-9a-z]{1,12})-(?:i(\d{1,9})\.mp4|s(\d{1,15})\.m4s|p(\d{1,15})\.m4s)$/;

/** Parses a name made by the functions above; undefined for anything else. */
export function parseMediaName(file: string): MediaName | undefined {
  const match = MEDIA_NAME.exec(file);
  if (!match) return undefined;
  const [, run, generation, msn, n] = match as unknown as [string, string, string | undefined, string | undefined, string | undefined];
  if (generation !== undefined) return { run, kind: 'init', generation: Number(generation) };
  if (msn !== undefined) return { run, kind: 'segment', msn: Number(msn) };
  return { run, kind: 'part', n: Number(n) };
}
