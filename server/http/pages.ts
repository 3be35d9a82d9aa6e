import type { StreamSummary } from './api.ts';

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * Pages load only fragcast's own bundles; media comes from blob: (MSE) or
 * the server itself (native HLS). data: is for the empty WebVTT track hls.js
 * attaches to carry playlist metadata.
 */
export const PAGE_HEADERS: readonly (readonly [string, string])[] = Object.freeze([
  ['Content-Type', 'text/html; charset=utf-8'],
  ['Cache-Control', 'no-cache'],
  [
    'Content-Security-Policy',
    "default-src 'self'; script-src 'self'; connect-src 'self' ws: wss:; media-src 'self' blob: data:; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'",
  ],
  ['Referrer-Policy', 'same-origin'],
]);

const STYLE = `
  :root { color-scheme: dark; font-family: system-ui, sans-serif; background: #101214; color: #e8e8e8; }
  body { margin: 0; }
  header { padding: 12px 20px; border-bottom: 1px solid #2a2d31; display: flex; gap: 16px; align-items: baseline; }
  header h1 { font-size: 18px; margin: 0; } header a { color: #9ab; }
  main { padding: 20px; }
  table { border-collapse: collapse; width: 100%; } th, td { text-align: left; padding: 8px 10px; border-bottom: 1px solid #2a2d31; }
  th { color: #9aa3ad; font-weight: 500; } a { color: #6cb4ff; } code { color: #c9d1d9; }
  .empty { color: #9aa3ad; }
  .player { position: relative; background: #000; max-width: 1280px; margin: 0 auto; aspect-ratio: 16 / 9; }
  .player video { width: 100%; height: 100%; display: block; background: #000; }
  .overlay { position: absolute; top: 8px; left: 8px; font: 12px/1.5 ui-monospace, monospace; background: rgba(0,0,0,.6);
             padding: 6px 10px; border-radius: 4px; white-space: pre; pointer-events: none; }
  .status { position: absolute; inset: auto 0 0 0; padding: 8px 12px; font-size: 13px; color: #fbb; }
  .links { max-width: 1280px; margin: 12px auto; color: #9aa3ad; font-size: 14px; }
  .controls { max-width: 1280px; margin: 10px auto 0; display: flex; gap: 16px; align-items: center; font-size: 14px; }
  .controls label { margin-right: 10px; } .note { color: #e0b060; }
  button { background: #23272c; color: #e8e8e8; border: 1px solid #3a3f45; border-radius: 4px; padding: 3px 10px; cursor: pointer; }
  button:disabled { opacity: .45; cursor: default; }
  .timeline { position: relative; max-width: 1280px; height: 14px; margin: 10px auto; background: #23272c; border-radius: 7px; }
  .timeline.seekable { cursor: pointer; }
  .playhead { position: absolute; top: -3px; width: 4px; height: 20px; margin-left: -2px; background: #6cb4ff; border-radius: 2px; pointer-events: none; }
  .tick { position: absolute; top: -5px; width: 10px; height: 24px; margin-left: -5px; padding: 0; background: #e0b060; border: 0; border-radius: 3px; }
  .markers { max-width: 1280px; margin: 0 auto; font-size: 14px; }
  .markers h2 { font-size: 15px; font-weight: 500; color: #9aa3ad; margin: 16px 0 6px; }
  .markers ol { margin: 0; padding-left: 20px; } .markers li { margin: 4px 0; } .markers time { color: #9aa3ad; font-variant-numeric: tabular-nums; }
`;

function layout(title: string, body: string, script: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<link rel="icon" href="data:,">
<style>${STYLE}</style>
</head>
<body>
<header><h1>fragcast</h1><a href="/">streams</a></header>
${body}
<script type="module" src="/assets/${script}"></script>
</body>
</html>
`;
}

export function formatBitrate(bitsPerSecond: number | undefined): string {
  return bitsPerSecond ? `${(bitsPerSecond / 1e6).toFixed(2)} Mbit/s` : '—';
}

export function resolution(summary: StreamSummary): string {
  const video = summary.tracks.find((t) => t.kind === 'video');
  return video?.width ? `${video.width}×${video.height}` : '—';
}

/** One row of the home page table; its script refreshes the cells marked with data-field. */
export function streamRow(s: StreamSummary): string {
  const name = escapeHtml(s.name);
  const codecs = s.tracks.map((t) => escapeHtml(t.codec)).join(', ') || '—';
  return `<tr data-stream="${name}"><td><a href="${escapeHtml(s.links.player)}">${name}</a></td><td data-field="state">${escapeHtml(s.state)}</td><td data-field="codecs"><code>${codecs}</code></td>` +
    `<td data-field="resolution">${resolution(s)}</td><td data-field="bitrate">${formatBitrate(s.bitrate)}</td><td data-field="viewers">${s.viewers.total}</td>` +
    `<td><a href="${escapeHtml(s.links.player)}">player</a> · <a href="${escapeHtml(s.links.mp4)}">live.mp4</a> · <a href="${escapeHtml(s.links.hls)}">index.m3u8</a> · <code>${escapeHtml(s.links.ws)}</code></td></tr>`;
}

export function homePage(streams: readonly StreamSummary[]): string {
  const rows = streams.length
    ? streams.map(streamRow).join('\n')
    : '<tr><td colspan="7" class="empty">No streams are configured.</td></tr>';
  return layout(
    'fragcast',
    `<main><table id="streams"><thead><tr><th>stream</th><th>source</th><th>codecs</th><th>resolution</th><th>bitrate</th><th>viewers</th><th>links</th></tr></thead>
<tbody>${rows}</tbody></table></main>`,
    'home-page.js',
  );
}

export function playerPage(stream: StreamSummary): string {
  const name = escapeHtml(stream.name);
  return layout(
    `${stream.name} · fragcast`,
    `<main>
<div class="player" id="player" data-stream="${name}" data-ws="${escapeHtml(stream.links.ws)}" data-hls="${escapeHtml(stream.links.hls)}">
  <video id="video" muted autoplay playsinline></video>
  <div class="overlay" id="overlay">connecting…</div>
  <div class="status" id="status"></div>
</div>
<div class="controls">
  <span role="radiogroup" aria-label="Playback mode">
    <label><input type="radio" name="mode" value="ws" checked> WebSocket (MSE)</label>
    <label><input type="radio" name="mode" value="hls"> LL-HLS</label>
  </span>
  <button type="button" id="live" hidden>Live</button>
  <span class="note" id="mode-note"></span>
</div>
<div class="timeline" id="timeline" title="The DVR window (LL-HLS) or the buffer (WebSocket)"><div class="playhead" id="playhead"></div></div>
<section class="markers">
  <h2>Markers</h2>
  <ol id="markers"></ol>
  <p class="empty" id="markers-empty">No markers yet. Add one with <code>POST /api/streams/${name}/markers</code> and <code>{"label": "…"}</code>.</p>
</section>
<p class="links">Also: <a href="${escapeHtml(stream.links.mp4)}">live.mp4</a> (VLC, ffplay, &lt;video src&gt;) · <a href="${escapeHtml(stream.links.hls)}">index.m3u8</a> (LL-HLS: Safari, hls.js, ffmpeg) · WebSocket <code>${escapeHtml(stream.links.ws)}</code></p>
</main>`,
    'player-page.js',
  );
}
