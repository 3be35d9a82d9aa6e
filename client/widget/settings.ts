import { REQUESTED_MODES, type RequestedMode } from '../player/mode-choice.ts';

/**
 * The settings of `<fragcast-player>`, in the manner of go2rtc's element:
 * each field is marked
 * - **config**: an attribute and a property the page sets (reflected: the
 *   property writes the attribute, the attribute is the truth);
 * - **info**: a read-only property the page may read;
 * - **internal**: the element's own state, not for pages.
 * The config fields are this table; docs/embedding.md documents each (a
 * test checks it), and the element derives its observed attributes and
 * its properties from it.
 */

export type SettingKind = 'config' | 'info' | 'internal';

interface BooleanSetting {
  readonly type: 'boolean';
}
interface StringSetting {
  readonly type: 'string';
}
interface EnumSetting {
  readonly type: 'enum';
  readonly values: readonly string[];
  readonly default: string;
}
interface SecondsSetting {
  readonly type: 'seconds';
  readonly min: number;
  readonly max: number;
}
type Setting = BooleanSetting | StringSetting | EnumSetting | SecondsSetting;

export const CONFIG = Object.freeze({
  /** The stream's page, `https://HOST/streams/NAME` (relative URLs resolve against the document). */
  src: { type: 'string' },
  /** `auto` (default), `ws`, `hls` or `mp4`. */
  mode: { type: 'enum', values: REQUESTED_MODES, default: 'auto' },
  /** Target latency in seconds; unset: 0.15 (ws, raised by stalls), PART-HOLD-BACK (hls), 0.5 (mp4). */
  latency: { type: 'seconds', min: 0.05, max: 30 },
  /** The picture shown before the first frame; unset: the stream's snapshot; empty: none. */
  poster: { type: 'string' },
  /** Start on its own (muted if the browser requires it); without it, a click starts it. */
  autoplay: { type: 'boolean' },
  muted: { type: 'boolean' },
  /** The browser's video controls. */
  controls: { type: 'boolean' },
  /** The stats overlay (also toggled by the S key while the player has focus). */
  stats: { type: 'boolean' },
} satisfies Record<string, Setting>);

export type ConfigName = keyof typeof CONFIG;
export const CONFIG_NAMES = Object.freeze(Object.keys(CONFIG) as ConfigName[]);

export interface PlayerConfig {
  readonly src: string | undefined;
  readonly mode: RequestedMode;
  readonly latency: number | undefined;
  readonly poster: string | undefined;
  readonly autoplay: boolean;
  readonly muted: boolean;
  readonly controls: boolean;
  readonly stats: boolean;
}

/** The read-only properties (info) of the element, for the docs and the settings test. */
export const INFO_NAMES = Object.freeze(['activeMode', 'playbackStats', 'live', 'video'] as const);

/** A value the element cannot use: reported (as a non-fatal invalidOption error), and the default applies. */
export interface InvalidOption {
  readonly name: ConfigName;
  readonly value: string;
  readonly why: string;
}

/**
 * Reads the config from attribute values (`null`: absent). Never throws:
 * each unusable value is listed in `invalid` and replaced by its default.
 */
export function parseConfig(attribute: (name: ConfigName) => string | null): { config: PlayerConfig; invalid: InvalidOption[] } {
  const invalid: InvalidOption[] = [];
  const mode = attribute('mode');
  const latency = attribute('latency');
  const src = attribute('src')?.trim();
  let latencyValue: number | undefined;
  if (latency !== null && latency.trim() !== '') {
    const { min, max } = CONFIG.latency;
    const seconds = Number(latency);
    if (Number.isFinite(seconds) && seconds >= min && seconds <= max) latencyValue = seconds;
    else invalid.push({ name: 'latency', value: latency, why: `must be a number of seconds from ${min} to ${max}` });
  }
  let modeValue = CONFIG.mode.default as RequestedMode;
  if (mode !== null && mode !== '') {
    if ((CONFIG.mode.values as readonly string[]).includes(mode)) modeValue = mode as RequestedMode;
    else invalid.push({ name: 'mode', value: mode, why: `must be one of ${CONFIG.mode.values.join(', ')}` });
  }
  return {
    config: {
      src: src ? src : undefined,
      mode: modeValue,
      latency: latencyValue,
      poster: attribute('poster') ?? undefined,
      autoplay: attribute('autoplay') !== null,
      muted: attribute('muted') !== null,
      controls: attribute('controls') !== null,
      stats: attribute('stats') !== null,
    },
    invalid,
  };
}

/** How a property assignment becomes an attribute value (`null`: remove it). */
export function attributeFor(name: ConfigName, value: unknown): string | null {
  const setting: Setting = CONFIG[name];
  if (setting.type === 'boolean') return value ? '' : null;
  return value === undefined || value === null ? null : String(value);
}

/** The URLs of one stream, from its page URL (the `src`). */
export interface StreamLocation {
  readonly ws: string;
  readonly hls: string;
  readonly mp4: string;
  /** The snapshot at about `width` CSS pixels (rounded up to a step, so that players of similar sizes share one cached picture). */
  snapshot(width: number): string;
}

/** Snapshot widths come in steps of this many pixels: one decode serves every player within a step. */
const SNAPSHOT_STEP = 320;

/**
 * Resolves `src` against `base` (the document's URL); undefined when it is
 * no http(s) URL. Its query (a signed link's `?exp=…&sig=…` or `?token=…`)
 * goes with every URL derived from it.
 */
export function streamLocation(src: string, base: string): StreamLocation | undefined {
  let page: URL;
  try {
    page = new URL(src, base);
  } catch {
    return undefined;
  }
  if (page.protocol !== 'http:' && page.protocol !== 'https:') return undefined;
  const query = page.search.slice(1);
  page.search = '';
  page.hash = '';
  const root = page.href.replace(/\/+$/, '');
  const withQuery = (url: string): string => (query ? `${url}${url.includes('?') ? '&' : '?'}${query}` : url);
  const ws = new URL(`${root}/ws`);
  ws.protocol = page.protocol === 'https:' ? 'wss:' : 'ws:';
  return {
    ws: withQuery(ws.href),
    hls: withQuery(`${root}/index.m3u8`),
    mp4: withQuery(`${root}/live.mp4`),
    snapshot: (width) => withQuery(`${root}/snapshot.jpg?width=${Math.min(3840, Math.max(SNAPSHOT_STEP, Math.ceil(width / SNAPSHOT_STEP) * SNAPSHOT_STEP))}`),
  };
}
