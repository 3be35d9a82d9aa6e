import type { MarkerDescription } from '../../server/protocol.ts';
import type { PlayerError, PlayerStats } from '../player/events.ts';
import type { ModeSwitchEventMap } from '../player/mode-switch.ts';
import { ENGINE_NAMES, type RequestedMode } from '../player/mode-choice.ts';
import { defineFragcastPlayer, type FragcastPlayerElement } from '../widget/fragcast-player.ts';

/**
 * The /streams/NAME page: the `<fragcast-player>` element that sites embed
 * (with its stats overlay on), a mode switch, and the stream's timeline
 * markers, which HLS mode can seek to within the DVR window.
 */

const player = document.getElementById('player') as FragcastPlayerElement;
const status = document.getElementById('status')!;
const modeNote = document.getElementById('mode-note')!;
const timeline = document.getElementById('timeline')!;
const playhead = document.getElementById('playhead')!;
const markerList = document.getElementById('markers')!;
const markersEmpty = document.getElementById('markers-empty')!;
const modeInputs = [...document.querySelectorAll<HTMLInputElement>('input[name="mode"]')];
const markers = new Map<string, MarkerDescription & { timeMs: number }>();

function on<K extends keyof ModeSwitchEventMap>(type: K, listener: (detail: ModeSwitchEventMap[K]) => void): void {
  player.addEventListener(type, (event) => listener((event as CustomEvent<ModeSwitchEventMap[K]>).detail));
}

function clock(timeMs: number): string {
  return new Date(timeMs).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

/** Enables a marker's seek button while its time is in the DVR window (HLS mode only). */
function refreshSeekButtons(): void {
  const hls = player.activeMode === 'hls';
  for (const item of markerList.querySelectorAll<HTMLLIElement>('li')) {
    const marker = markers.get(item.dataset.id!)!;
    const button = item.querySelector<HTMLButtonElement>('button.seek')!;
    const reachable = player.timeForDate(marker.timeMs) !== undefined;
    button.disabled = !reachable;
    button.title = hls ? (reachable ? 'Play from this marker' : 'Outside the DVR window') : 'Switch to LL-HLS to seek';
  }
}

/** Where the timeline bar shows: the seekable window in HLS mode, what is buffered otherwise. */
function windowRange(): { start: number; end: number } | undefined {
  const ranges = player.activeMode === 'hls' ? player.video.seekable : player.video.buffered;
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
      seek.addEventListener('click', () => player.seekToDate(marker.timeMs));
      item.append(time, ' ', label, ' ', seek);
      return item;
    }),
  );
  renderTimeline();
}

function renderTimeline(): void {
  refreshSeekButtons();
  const range = windowRange();
  const hls = player.activeMode === 'hls';
  timeline.classList.toggle('seekable', hls);
  for (const tick of timeline.querySelectorAll('.tick')) tick.remove();
  if (!range) return;
  const at = (time: number): string => `${(Math.min(1, Math.max(0, (time - range.start) / (range.end - range.start))) * 100).toFixed(2)}%`;
  playhead.style.left = at(player.video.currentTime);
  for (const marker of markers.values()) {
    const time = player.timeForDate(marker.timeMs);
    if (time === undefined) continue;
    const tick = document.createElement('button');
    tick.type = 'button';
    tick.className = 'tick';
    tick.style.left = at(time);
    tick.title = `${clock(marker.timeMs)} ${marker.label}`;
    tick.addEventListener('click', (event) => {
      event.stopPropagation();
      player.seekToDate(marker.timeMs);
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
    const response = await fetch(player.dataset.markers ?? `/api/streams/${encodeURIComponent(player.dataset.stream!)}/markers`, { cache: 'no-store' });
    if (!response.ok) return;
    for (const marker of ((await response.json()) as { markers: MarkerDescription[] }).markers) addMarker(marker);
  } catch {
    // The list fills from the player's events anyway.
  }
}

timeline.addEventListener('click', (event) => {
  const range = windowRange();
  if (player.activeMode !== 'hls' || !range) return;
  const box = timeline.getBoundingClientRect();
  player.video.currentTime = range.start + ((event.clientX - box.left) / box.width) * (range.end - range.start);
});
for (const input of modeInputs) {
  input.addEventListener('change', () => {
    if (!input.checked) return;
    const params = new URLSearchParams(location.search);
    params.set('mode', input.value);
    history.replaceState(null, '', `${location.pathname}?${params}`);
    player.mode = input.value as RequestedMode;
  });
}

// Listeners first, then the element: it starts (and tells its mode) as soon as it is defined.
on('mode', ({ mode, engine, fallback, reason }) => {
  modeNote.textContent = fallback ? `fell back to ${ENGINE_NAMES[engine]}: ${reason}` : player.mode === 'auto' ? `playing over ${ENGINE_NAMES[engine]}` : '';
  player.dataset.activeMode = mode;
  status.textContent = '';
  renderMarkers();
});
on('latency', (stats) => {
  renderTimeline();
  // Exposed for tests and measurement tools: the same figures the overlay shows.
  (window as unknown as { fragcastStats: PlayerStats }).fragcastStats = stats;
});
// The last 1800 per-frame latencies (a minute at 30 fps), for measurement tools such as `npm run bench -- latency`.
const frameLatencies: number[] = [];
(window as unknown as { fragcastFrameLatencies: number[] }).fragcastFrameLatencies = frameLatencies;
on('frame', ({ latency }) => {
  if (latency === undefined) return;
  frameLatencies.push(latency);
  if (frameLatencies.length > 1800) frameLatencies.shift();
});
on('marker', addMarker);
on('playing', () => {
  status.textContent = '';
});
on('error', (error: PlayerError) => {
  status.textContent = `${error.fatal ? 'Stopped' : 'Recovering'}: ${error.message}`;
});
defineFragcastPlayer();
void loadMarkers();
// Native HLS (Safari without MSE) exposes no playlist tags to the page: refresh the list from the API.
setInterval(() => {
  if (player.activeMode === 'hls') void loadMarkers();
}, 5000);
