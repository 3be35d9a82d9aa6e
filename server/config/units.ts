import { z } from 'zod';

/**
 * Value types of the configuration file that have units. Each accepts a
 * bare number (in the base unit: seconds, bytes, bits per second) or a
 * string with a unit, and resolves to the bare number, so a resolved
 * configuration printed back out is itself a valid configuration.
 */

const DURATION_UNITS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86_400 };
const SIZE_UNITS: Record<string, number> = { b: 1, k: 1e3, kb: 1e3, m: 1e6, mb: 1e6, g: 1e9, gb: 1e9, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3 };
const BITRATE_UNITS: Record<string, number> = { '': 1, k: 1e3, m: 1e6 };

/** Parses "1.5s", "500ms", "2m", "1h", "7d" or a number of seconds. */
export function parseDuration(value: unknown): number | undefined {
  return parseWithUnit(value, DURATION_UNITS, 's');
}

/** Parses "32MiB", "256 KiB", "10MB", "1k" or a number of bytes. */
export function parseSize(value: unknown): number | undefined {
  const bytes = parseWithUnit(value, SIZE_UNITS, 'b');
  return bytes === undefined ? undefined : Math.round(bytes);
}

/** Parses "800k", "2.5M" or a number of bits per second. */
export function parseBitrate(value: unknown): number | undefined {
  const bits = parseWithUnit(value, BITRATE_UNITS, '');
  return bits === undefined ? undefined : Math.round(bits);
}

function parseWithUnit(value: unknown, units: Record<string, number>, bare: string): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(value);
  if (!match) return undefined;
  const factor = units[(match[2] || bare).toLowerCase()];
  return factor === undefined ? undefined : Number(match[1]) * factor;
}

function withUnit(parse: (value: unknown) => number | undefined, expected: string, min: number, max: number, show: (value: number) => string) {
  return z.unknown().transform((value, ctx): number => {
    const parsed = parse(value);
    if (parsed === undefined) {
      ctx.issues.push({ code: 'custom', input: value, message: `expected ${expected}, got ${describe(value)}` });
      return z.NEVER;
    }
    if (parsed < min || parsed > max) {
      ctx.issues.push({ code: 'custom', input: value, message: `must be from ${show(min)} to ${show(max)}, got ${describe(value)}` });
      return z.NEVER;
    }
    return parsed;
  });
}

/** A duration in seconds; the file may say "500ms", "10s", "2m" or a number of seconds. */
export const duration = (min: number, max: number) => withUnit(parseDuration, 'a duration such as 500ms, 10s or 2m (a bare number is seconds)', min, max, (s) => `${s}s`);
/** A size in bytes; the file may say "32MiB", "256KiB", "10MB" or a number of bytes. */
export const size = (min: number, max: number) => withUnit(parseSize, 'a size such as 256KiB, 32MiB or 10MB (a bare number is bytes)', min, max, showSize);
/** A bitrate in bits per second; the file may say "800k", "2.5M" or a number. */
export const bitrate = (min: number, max: number) => withUnit(parseBitrate, 'a bitrate such as 800k or 2.5M (a bare number is bits per second)', min, max, (b) => (b >= 1e6 ? `${b / 1e6}M` : `${b / 1e3}k`));

function showSize(bytes: number): string {
  for (const [unit, factor] of [['GiB', 1024 ** 3], ['MiB', 1024 ** 2], ['KiB', 1024]] as const) if (bytes >= factor && bytes % factor === 0) return `${bytes / factor}${unit}`;
  return `${bytes} bytes`;
}

/** A whole number; a string of digits is accepted too, so `${env:PORT}` works. */
export const integer = (min: number, max: number) =>
  z.preprocess((value) => (typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value) : value), z.number().int().min(min).max(max));

/** A boolean; "true"/"false" strings are accepted too, for `${env:…}` values. */
export const boolean = () => z.preprocess((value) => (value === 'true' ? true : value === 'false' ? false : value), z.boolean());

export function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  return String(value);
}
