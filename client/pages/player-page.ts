import type { MarkerDescription } from '../../server/protocol.ts';
import { PlayerEvent, type PlayerMode, type PlayerStats } from '../player/events.ts';
import { ModeSwitch } from '../player/mode-switch.ts';

/**
 * The /streams/NAME page: one player with a mode switch (WebSocket + MSE, or
 * LL-HLS), its overlay of live figures, and the stream's timeline markers,
 * which HLS mode can seek to within the DVR window.
 */

const container = document.getElementById('player')!;
const video = document.getElementById('video') as HTMLVideoElement;
const overlay = document.getElementById('overlay')!;
const status = document.getElementById('status')!;
const modeNote = document.getElementById('mode-note')!;
const liveButton = document.getElementById('live') as HTMLButtonElement;
const timeline = document.getElementById('timeline')!;
const playhead = document.getElementById('playhead')!;
const markerList = document.getElementById('markers')!;
const markersEmpty = document.getElementById('markers-empty')!;
const modeInputs = [...document.querySelectorAll<HTMLInputElement>('input[name="mode"]')];

const wsUrl = new URL(container.dataset.ws!, location.href);
wsUrl.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
const hlsUrl = new URL(container.dataset.hls!, location.href).href;
const params = new URLSearchParams(location.search);
const asked: PlayerMode = params.get('mode') === 'hls' ? 'hls' : 'ws';

const player = new ModeSwitch(video, { wsUrl: wsUrl.href, hlsUrl, mode: asked });
const markers = new Map<string, MarkerDescription & { timeMs: number }>();

function ms(seconds: number | undefined): string {
  return seconds === undefined ? '—' : `${Math.round(seconds * 1000)} ms`;
}

function clock(timeMs: number): string {
  return new Date(timeMs).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

function render(stats: PlayerStats): void {
  overlay.textContent = [
    `mode     ${stats.mode === 'ws' ? 'WebSocket + MSE' : 'LL-HLS'}`,
    `latency  ${ms(stats.latency)}`,
    `buffer   ${ms(stats.buffer)}`,
    `bitrate  ${(stats.bitrate / 1000).toFixed(0)} kbit/s`,
    `dropped  ${stats.droppedFrames} / ${stats.decodedFrames} frames`,
    `video    ${stats.width}×${stats.height} @ ${stats.playbackRate.toFixed(2)}×`,
    `ttff     ${ms(stats.timeToFirstFrame === undefined ? undefined : stats.timeToFirstFrame / 1000)}`,
    `reconnects ${stats.reconnects}  skips ${stats.skips}  gen ${stats.generation}`,
  ].join('\n');
}

/** Enables a marker's seek button while its time is in the DVR window (HLS mode only). */
function refreshSeekButtons(): void {
  const hls = player.hls;
  for (const item of markerList.querySelectorAll<HTMLLIElement>('li')) {
    const marker = markers.get(item.dataset.id!)!;
    const button = item.querySelector<HTMLButtonElement>('button.seek')!;
    const reachable = hls?.timeForDate(marker.timeMs) !== undefined;
    button.disabled = !reachable;
    button.title = hls ? (reachable ? 'Play from this marker' : 'Outside the DVR window') : 'Switch to LL-HLS to seek';
  }
}

/** Where the timeline bar shows: the seekable window in HLS mode, what is buffered in WebSocket mode. */
function windowRange(): { start: number; end: number } | undefined {
  const ranges = player.mode === 'hls' ? video.seekable : video.buffered;
  if (!ranges.length) return undefined;
  const start = ranges.start(0);
  const end = ranges.end(ranges.length - 1);
  return end > start ? { start, end } : undefined;
}

function renderMarkers(): void {
  const sorted = [...markers.values()].sort((a, b) => a.timeMs - b.timeMs);
  markersEmpty.hidden = sorted.length > 0;
  markerList.replaceChildren(
    ...sorted.map((marker) => {
      const item = document.createElement('li');
      item.dataset.id = marker.id;
      const time = document.createElement('time');
      time.dateTime = marker.time;
      time.textContent = clock(marker.timeMs);
      const label = document.createElement('span');
      label.className = 'label';
      label.textContent = marker.label;
      const seek = document.createElement('button');
      seek.type = 'button';
      seek.className = 'seek';
      seek.textContent = 'seek';
      seek.addEventListener('click', () => player.hls?.seekToDate(marker.timeMs));
      item.append(time, ' ', label, ' ', seek);
      return item;
    }),
  );
  renderTimeline();
}

function renderTimeline(): void {
  refreshSeekButtons();
  const range = windowRange();
  const hls = player.hls;
  timeline.classList.toggle('seekable', hls !== undefined);
  for (const tick of timeline.querySelectorAll('.tick')) tick.remove();
  if (!range) return;
  const at = (time: number): string => `${(Math.min(1, Math.max(0, (time - range.start) / (range.end - range.start))) * 100).toFixed(2)}%`;
  playhead.style.left = at(video.currentTime);
  for (const marker of markers.values()) {
    const time = hls?.timeForDate(marker.timeMs);
    if (time === undefined) continue;
    const tick = document.createElement('button');
    tick.type = 'button';
    tick.className = 'tick';
    tick.style.left = at(time);
    tick.title = `${clock(marker.timeMs)} ${marker.label}`;
    tick.addEventListener('click', (event) => {
      event.stopPropagation();
      player.hls?.seekToDate(marker.timeMs);
    });
    timeline.append(tick);
  }
}

function addMarker(marker: MarkerDescription): void {
  if (markers.has(marker.id)) return;
  markers.set(marker.id, { ...marker, timeMs: Date.parse(marker.time) });
  renderMarkers();
}

async function loadMarkers(): Promise<void> {
  try {
    // The server's URL: it carries the viewer's credential for a stream that is not public.
    const response = await fetch(container.dataset.markers!, { cache: 'no-store' });
    if (!response.ok) return;
    for (const marker of ((await response.json()) as { markers: MarkerDescription[] }).markers) addMarker(marker);
  } catch {
    // The list fills from the player's events anyway.
  }
}

timeline.addEventListener('click', (event) => {
  const range = windowRange();
  if (!player.hls || !range) return;
  const box = timeline.getBoundingClientRect();
  video.currentTime = range.start + ((event.clientX - box.left) / box.width) * (range.end - range.start);
});
liveButton.addEventListener('click', () => player.hls?.goLive());
for (const input of modeInputs) {
  input.addEventListener('change', () => {
    if (!input.checked) return;
    const mode = input.value as PlayerMode;
    params.set('mode', mode);
    history.replaceState(null, '', `${location.pathname}?${params}`);
    player.setMode(mode);
  });
}

player.on('mode', ({ mode, fallback, reason }) => {
  for (const input of modeInputs) input.checked = input.value === mode;
  liveButton.hidden = mode !== 'hls';
  modeNote.textContent = fallback ? `fell back to HLS: ${reason}` : '';
  container.dataset.mode = mode;
  status.textContent = '';
  renderMarkers();
});
player.on(PlayerEvent.LATENCY, (stats) => {
  render(stats);
  renderTimeline();
  // Exposed for tests and curious users: the same figures the overlay shows.
  (window as unknown as { fragcastStats: PlayerStats }).fragcastStats = stats;
});
// The last 1800 per-frame latencies (a minute at 30 fps), for measurement tools such as `npm run bench -- latency`.
const frameLatencies: number[] = [];
(window as unknown as { fragcastFrameLatencies: number[] }).fragcastFrameLatencies = frameLatencies;
player.on(PlayerEvent.FRAME, ({ latency }) => {
  if (latency === undefined) return;
  frameLatencies.push(latency);
  if (frameLatencies.length > 1800) frameLatencies.shift();
});
player.on(PlayerEvent.MARKER, addMarker);
player.on(PlayerEvent.PLAYING, () => {
  status.textContent = '';
});
player.on(PlayerEvent.ERROR, (error) => {
  status.textContent = `${error.fatal ? 'Stopped' : 'Recovering'}: ${error.message}`;
});
player.load();
void loadMarkers();
// Native HLS (Safari without MSE) exposes no playlist tags to the page: refresh the list from the API.
setInterval(() => {
  if (player.mode === 'hls') void loadMarkers();
}, 5000);
