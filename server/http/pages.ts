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
  .player { display: block; max-width: 1280px; margin: 0 auto; }
  .status { color: #fbb; }
  .links { max-width: 1280px; margin: 12px auto; color: #9aa3ad; font-size: 14px; }
  .cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(340px, 1fr)); gap: 20px; }
  .card { background: #171a1d; border: 1px solid #2a2d31; border-radius: 8px; overflow: hidden; }
  .thumb { display: block; aspect-ratio: 16 / 9; background: #000; }
  .thumb img { width: 100%; height: 100%; object-fit: contain; display: block; }
  .thumb .none { display: flex; height: 100%; align-items: center; justify-content: center; color: #6b737c; font-size: 14px; }
  .card-body { padding: 12px 14px; }
  .card h2 { font-size: 17px; margin: 0 0 8px; display: flex; gap: 10px; align-items: baseline; }
  .card dl { display: grid; grid-template-columns: max-content 1fr; gap: 3px 12px; margin: 0 0 10px; font-size: 14px; }
  .card dt { color: #9aa3ad; } .card dd { margin: 0; overflow-wrap: anywhere; }
  .card .links { margin: 0 0 8px; font-size: 14px; }
  .card details { font-size: 13px; color: #9aa3ad; } .card details code { display: block; margin-top: 6px; white-space: pre-wrap; overflow-wrap: anywhere; }
  .state { font-size: 12px; font-weight: 500; padding: 1px 8px; border-radius: 9px; background: #2a2d31; }
  .state-running { background: #1d4d2c; color: #9fe0b0; } .state-backoff { background: #5a2a22; color: #f3b3a6; }
  .error { color: #f3b3a6; }
  .charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(420px, 1fr)); gap: 16px; margin-bottom: 24px; }
  .chart { background: #171a1d; border: 1px solid #2a2d31; border-radius: 8px; padding: 10px 12px; margin: 0; }
  .chart figcaption { font-size: 14px; color: #9aa3ad; margin-bottom: 4px; display: flex; justify-content: space-between; }
  .chart svg { width: 100%; height: 140px; display: block; }
  .legend { font-size: 12px; color: #c9d1d9; display: flex; flex-wrap: wrap; gap: 4px 12px; min-height: 16px; }
  .legend i { display: inline-block; width: 10px; height: 3px; margin-right: 5px; vertical-align: middle; }
  #sessions td, #sessions th { font-size: 14px; } #sessions td.num, #sessions th.num { text-align: right; font-variant-numeric: tabular-nums; }
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

/** What a page needs of the client bundles (server/http/assets.ts). */
export interface PageAssets {
  /** The chunks a page module imports statically. */
  modulePreloads(entry: string): readonly string[];
}

/** `script` is the page's module; the chunks it imports (from `assets`) are named for the browser to fetch beside it. */
function layout(title: string, body: string, script: string, assets: PageAssets | undefined): string {
  const links = (assets?.modulePreloads(script) ?? []).map((chunk) => `<link rel="modulepreload" href="/assets/${escapeHtml(chunk)}">\n`).join('');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<link rel="icon" href="data:,">
<style>${STYLE}</style>
<script type="module" src="/assets/${script}"></script>
${links}</head>
<body>
<header><h1>fragcast</h1><a href="/">streams</a><a href="/stats">stats</a></header>
${body}
</body>
</html>
`;
}

export function formatBitrate(bitsPerSecond: number | null): string {
  return bitsPerSecond ? `${(bitsPerSecond / 1e6).toFixed(2)} Mbit/s` : '—';
}

export function resolution(summary: StreamSummary): string {
  const video = summary.tracks.find((t) => t.kind === 'video');
  return video?.width ? `${video.width}×${video.height}` : '—';
}

/** Width of the home page thumbnails; the snapshot cache keeps one JPEG per keyframe at this width. */
export const THUMBNAIL_WIDTH = 320;

function thumbnail(s: StreamSummary): string {
  const name = escapeHtml(s.name);
  const hasVideo = s.tracks.some((t) => t.kind === 'video');
  if (!s.keyframe || !hasVideo) {
    return `<span class="none" data-field="thumb">${hasVideo || !s.ready ? 'no picture yet' : 'audio only'}</span>`;
  }
  // The keyframe in the URL: a new keyframe is a new URL (the page swaps it in), the same keyframe stays in the browser cache.
  const src = `${s.links.snapshot}?width=${THUMBNAIL_WIDTH}&k=${s.generation}-${s.keyframe.seq}`;
  return `<img data-field="thumb" src="${escapeHtml(src)}" alt="${name}" width="${THUMBNAIL_WIDTH}" height="180">`;
}

function viewersText(s: StreamSummary): string {
  const parts = Object.entries(s.viewers)
    .filter(([output, count]) => output !== 'total' && count > 0)
    .map(([output, count]) => `${output} ${count}`);
  return parts.length ? `${s.viewers.total} (${parts.join(' · ')})` : String(s.viewers.total);
}

function sourceText(s: StreamSummary): string {
  const restarts = `${s.source.kind} · ${s.source.restarts} restart${s.source.restarts === 1 ? '' : 's'}`;
  const error = s.source.lastError ? `<br><span class="error" title="${escapeHtml(new Date(s.source.lastError.atMs).toISOString())}">${escapeHtml(s.source.lastError.code)}: ${escapeHtml(s.source.lastError.message)}</span>` : '';
  return `${escapeHtml(restarts)}${error}`;
}

/** The `<script>` tag that embeds a stream's player in another site (the widget itself is its own issue). */
export function embedSnippet(origin: string, stream: string): string {
  return `<script src="${origin}/embed.js" data-stream="${stream}" async></script>`;
}

/** One stream card of the home page; its script refreshes the elements marked with data-field. */
export function streamCard(s: StreamSummary, origin: string): string {
  const name = escapeHtml(s.name);
  const link = (href: string, text: string): string => `<a href="${escapeHtml(href)}">${text}</a>`;
  const codecs = s.tracks.map((t) => escapeHtml(t.codec)).join(', ') || '—';
  return `<article class="card" data-stream="${name}">
<a class="thumb" href="${escapeHtml(s.links.player)}">${thumbnail(s)}</a>
<div class="card-body">
<h2>${link(s.links.player, name)} <span class="state state-${escapeHtml(s.state)}" data-field="state">${escapeHtml(s.state)}</span></h2>
<dl>
<dt>codecs</dt><dd data-field="codecs"><code>${codecs}</code></dd>
<dt>resolution</dt><dd data-field="resolution">${resolution(s)}</dd>
<dt>bitrate</dt><dd data-field="bitrate">${formatBitrate(s.bitrate)}</dd>
<dt>viewers</dt><dd data-field="viewers">${viewersText(s)}</dd>
<dt>source</dt><dd data-field="source">${sourceText(s)}</dd>
</dl>
<p class="links">${link(s.links.player, 'player')} · ${link(s.links.mp4, 'live.mp4')} · ${link(s.links.hls, 'HLS')} · ${link(s.links.snapshot, 'snapshot')} · ${link(s.links.snapshotMp4, 'snapshot.mp4')} · WebSocket <code>${escapeHtml(s.links.ws)}</code></p>
<details><summary>embed</summary><code>${escapeHtml(embedSnippet(origin, s.name))}</code></details>
</div>
</article>`;
}

/** `origin` is the scheme and host this page was asked for (shown in the embed snippets); `assets`: see layout(). */
export function homePage(streams: readonly StreamSummary[], origin: string, assets?: PageAssets): string {
  const cards = streams.length ? streams.map((s) => streamCard(s, origin)).join('\n') : '<p class="empty">No streams are configured.</p>';
  return layout('fragcast', `<main><section id="streams" class="cards">\n${cards}\n</section></main>`, 'home-page.js', assets);
}

/** The stats page: charts and the sessions table, filled by its script from /api/stats. */
export function statsPage(assets?: PageAssets): string {
  const chart = (id: string, title: string): string =>
    `<figure class="chart" id="chart-${id}"><figcaption><span>${title}</span><span data-role="now"></span></figcaption><svg role="img" aria-label="${title}"></svg><div class="legend"></div></figure>`;
  return layout(
    'stats · fragcast',
    `<main>
<section class="charts">
${chart('viewers', 'Viewers by stream and output')}
${chart('ingest', 'Ingest bitrate')}
${chart('egress', 'Egress bitrate')}
${chart('fragments', 'Fragments in per second')}
${chart('skips', 'Skipped fragments per second')}
${chart('restarts', 'Source restarts')}
${chart('cpu', 'CPU (cores)')}
${chart('rss', 'Resident memory')}
</section>
<h2>Sessions</h2>
<table id="sessions"><thead><tr><th>id</th><th>remote address</th><th>output</th><th>stream</th><th class="num">connected for</th><th class="num">bytes</th><th class="num">skips</th><th class="num">lag</th><th></th></tr></thead>
<tbody><tr><td colspan="9" class="empty">Loading…</td></tr></tbody></table>
</main>`,
    'stats-page.js',
    assets,
  );
}

/** The modes a player page can be asked for with `?mode=` (client/player/mode-choice.ts). */
export const PAGE_MODES = ['auto', 'ws', 'hls', 'mp4'] as const;
export type PageMode = (typeof PAGE_MODES)[number];

const MODE_LABELS: Record<PageMode, string> = { auto: 'Auto', ws: 'WebSocket (MSE)', hls: 'LL-HLS', mp4: 'Chunked MP4' };

/**
 * The player page: the same `<fragcast-player>` element sites embed, with a mode switch, the timeline
 * and the markers. `markers` is the URL of the stream's markers (with the viewer's credential, like
 * the links of `stream`).
 */
export function playerPage(stream: StreamSummary, markers: string, mode: PageMode = 'auto', assets?: PageAssets): string {
  const name = escapeHtml(stream.name);
  const radios = PAGE_MODES.map((value) => `<label><input type="radio" name="mode" value="${value}"${value === mode ? ' checked' : ''}> ${MODE_LABELS[value]}</label>`).join('\n    ');
  return layout(
    `${stream.name} · fragcast`,
    `<main>
<fragcast-player class="player" id="player" src="${escapeHtml(stream.links.player)}" data-stream="${name}" data-markers="${escapeHtml(markers)}" mode="${mode}" autoplay muted controls stats></fragcast-player>
<div class="controls">
  <span role="radiogroup" aria-label="Playback mode">
    ${radios}
  </span>
  <span class="note" id="mode-note"></span>
  <span class="status" id="status"></span>
</div>
<div class="timeline" id="timeline" title="The DVR window (LL-HLS) or the buffer (WebSocket, MP4)"><div class="playhead" id="playhead"></div></div>
<section class="markers">
  <h2>Markers</h2>
  <ol id="markers"></ol>
  <p class="empty" id="markers-empty">No markers yet. Add one with <code>POST /api/streams/${name}/markers</code> and <code>{"label": "…"}</code>.</p>
</section>
<p class="links">Also: <a href="${escapeHtml(stream.links.mp4)}">live.mp4</a> (VLC, ffplay, &lt;video src&gt;) · <a href="${escapeHtml(stream.links.hls)}">index.m3u8</a> (LL-HLS: Safari, hls.js, ffmpeg) · WebSocket <code>${escapeHtml(stream.links.ws)}</code></p>
</main>`,
    'player-page.js',
    assets,
  );
}
