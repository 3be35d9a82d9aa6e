import { PlayerEvent, type PlayerStats } from '../player/events.ts';
import { FragcastPlayer } from '../player/player.ts';

/** The /streams/NAME page: one player and its overlay of live figures. */

const container = document.getElementById('player')!;
const video = document.getElementById('video') as HTMLVideoElement;
const overlay = document.getElementById('overlay')!;
const status = document.getElementById('status')!;

const wsUrl = new URL(container.dataset.ws!, location.href);
wsUrl.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';

const player = new FragcastPlayer(video, { url: wsUrl.href });

function ms(seconds: number | undefined): string {
  return seconds === undefined ? '—' : `${Math.round(seconds * 1000)} ms`;
}

function render(stats: PlayerStats): void {
  overlay.textContent = [
    `latency  ${ms(stats.latency)}`,
    `buffer   ${ms(stats.buffer)}`,
    `bitrate  ${(stats.bitrate / 1000).toFixed(0)} kbit/s`,
    `dropped  ${stats.droppedFrames} / ${stats.decodedFrames} frames`,
    `video    ${stats.width}×${stats.height} @ ${stats.playbackRate.toFixed(2)}×`,
    `ttff     ${ms(stats.timeToFirstFrame === undefined ? undefined : stats.timeToFirstFrame / 1000)}`,
    `reconnects ${stats.reconnects}  skips ${stats.skips}  gen ${stats.generation}`,
  ].join('\n');
}

player.on(PlayerEvent.LATENCY, (stats) => {
  render(stats);
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
player.on(PlayerEvent.PLAYING, () => {
  status.textContent = '';
});
player.on(PlayerEvent.ERROR, (error) => {
  status.textContent = `${error.fatal ? 'Stopped' : 'Recovering'}: ${error.message}`;
});
player.load();
