/**
 * `embed.js`: the one-line embed.
 *
 *   <script src="https://HOST/embed.js" data-stream="demo" async></script>
 *
 * A classic script (no module) kept tiny: it replaces its own tag with a
 * `<fragcast-player>` sized by data-width/data-height (or 16:9 at full
 * width), copies the other data-* options onto it, and loads player.js from
 * where it was itself loaded. It imports nothing, so that it stays a few
 * hundred bytes (docs/embedding.md gives its size).
 */

/** data-* attributes copied onto the element: the element's config (client/widget/settings.ts) less its sizing. */
const OPTIONS = ['mode', 'latency', 'poster'];
/** Boolean options and their defaults in the embed: it should just play (muted autoplay is what every browser allows). */
const SWITCHES: Record<string, boolean> = { autoplay: true, muted: true, controls: true, stats: false };
const CSS_LENGTH = /^\d+(\.\d+)?(px|%|em|rem|vw|vh)?$/;

function cssLength(value: string | undefined): string | undefined {
  return value && CSS_LENGTH.test(value) ? (/\d$/.test(value) ? `${value}px` : value) : undefined;
}

function embed(script: HTMLScriptElement): void {
  const data = script.dataset;
  const base = script.src || location.href;
  const player = document.createElement('fragcast-player');
  // data-src: a stream page URL; data-stream: a stream name on the server embed.js came from.
  const src = data.src ?? (data.stream ? new URL(`streams/${encodeURIComponent(data.stream)}`, base).href : '');
  player.setAttribute('src', src);
  for (const name of OPTIONS) {
    const value = data[name];
    if (value !== undefined) player.setAttribute(name, value);
  }
  for (const name in SWITCHES) {
    const value = data[name];
    const on = value === undefined ? SWITCHES[name] : !/^(false|0|no|off)$/i.test(value);
    if (on) player.setAttribute(name, '');
  }
  // Sized before player.js arrives, so the page does not jump when it does.
  const width = cssLength(data.width);
  const height = cssLength(data.height);
  const style = player.style;
  style.display = 'block';
  style.background = '#000';
  style.width = width ?? '100%';
  if (height) style.height = height;
  else style.aspectRatio = '16 / 9';
  if (script.id) player.id = script.id;
  script.replaceWith(player);
  import(new URL('player.js', base).href).catch((error: unknown) => {
    player.dispatchEvent(new CustomEvent('error', { detail: { type: 'networkError', details: 'playerLoadFailed', fatal: true, message: `player.js did not load: ${String(error)}` } }));
  });
}

const current = document.currentScript;
if (current instanceof HTMLScriptElement) embed(current);

// A module to the type checker (its names stay its own); esbuild bundles it as a classic script.
export {};
