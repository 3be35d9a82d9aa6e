import { measureFanout } from '../fanout.ts';
import { fanoutRow, FANOUT_COLUMNS, pct, type Scenario } from '../scenario.ts';

/** Healthy viewers next to 100 that read at 10 % of the bitrate: the healthy lose nothing, the slow skip. */
export const slowViewers: Scenario = async ({ clients = 1000, duration, settle, mediaPath, fanoutThreads, log }) => {
  const slow = { clients: Math.max(1, Math.round(clients / 10)), fraction: 0.1 };
  const result = await measureFanout({ server: 'fragcast', mediaPath, fanoutThreads, protocol: 'ws', clients, duration, settle, slow, log });
  const rssBound = 150 + (16 * (clients + slow.clients)) / 1024;
  return {
    scenario: 'slow-viewers',
    title: `${clients} healthy WebSocket viewers beside ${slow.clients} reading at 10 % of the bitrate`,
    columns: [...FANOUT_COLUMNS, 'slow viewers got'],
    rows: [[...fanoutRow('fragcast', result), pct(result.slowDelivered)]],
    targets: [
      // Skips say whether a healthy viewer lost fragments; the delivered share only that it kept up (it moves by a
      // few tenths of a percent with where the window's edges fall between fragments).
      {
        name: 'healthy viewers',
        target: 'lose nothing (no skip; every one ≥ 99 % delivered)',
        measured: `${result.skips} skips; ${pct(result.delivered)}, worst ${pct(result.worstViewer)}`,
        met: result.skips === 0 && result.worstViewer >= 0.99,
      },
      { name: 'slow viewers', target: 'skip to keyframes (get ≈ their 10 %)', measured: pct(result.slowDelivered), met: (result.slowDelivered ?? 1) < 0.5 },
      { name: 'server RSS', target: `≤ ${rssBound.toFixed(0)} MB`, measured: `${result.serverPeakRssMB.toFixed(0)} MB peak`, met: result.serverPeakRssMB <= rssBound },
    ],
    raw: result,
  };
};
