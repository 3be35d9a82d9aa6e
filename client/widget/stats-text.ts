import type { PlayerStats } from '../player/events.ts';

const MODE_NAMES: Readonly<Record<PlayerStats['mode'], string>> = Object.freeze({ ws: 'WebSocket + MSE', hls: 'LL-HLS', mp4: 'chunked MP4' });

function ms(seconds: number | undefined): string {
  return seconds === undefined ? '—' : `${Math.round(seconds * 1000)} ms`;
}

/** The stats overlay's text: the figures of the `latency` event, one per line. */
export function statsText(stats: PlayerStats): string {
  return [
    `mode     ${MODE_NAMES[stats.mode]}${stats.live ? '' : ' (behind live)'}`,
    `latency  ${ms(stats.latency)}  target ${ms(stats.targetLatency)}`,
    `buffer   ${ms(stats.buffer)}`,
    `bitrate  ${(stats.bitrate / 1000).toFixed(0)} kbit/s`,
    `dropped  ${stats.droppedFrames} / ${stats.decodedFrames} frames`,
    `video    ${stats.width}×${stats.height} @ ${stats.playbackRate.toFixed(2)}×`,
    `ttff     ${ms(stats.timeToFirstFrame === undefined ? undefined : stats.timeToFirstFrame / 1000)}`,
    `reconnects ${stats.reconnects}  skips ${stats.skips}  gen ${stats.generation}`,
  ].join('\n');
}
