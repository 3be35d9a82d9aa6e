import { measureFanout } from '../fanout.ts';
import { type Scenario } from '../scenario.ts';

/** Viewers that come and go every 0.5–3 s: connects per second, errors, and whether memory and descriptors come back. */
export const churn: Scenario = async ({ clients = 1000, duration, mediaPath, fanoutThreads, log }) => {
  const result = await measureFanout({ server: 'fragcast', mediaPath, fanoutThreads, protocol: 'ws', clients, duration, lifeMs: [500, 3000], connectPerSecond: 1000, log });
  const connectsPerSecond = result.connects / (result.seconds + 3.5);
  return {
    scenario: 'churn',
    title: `${clients} WebSocket viewers, each reconnecting after 0.5–3 s`,
    columns: ['server', 'viewers', 'connects/s', 'errors', 'server CPU (cores)', 'RSS at end', 'peak RSS', 'fds before → after'],
    rows: [['fragcast', clients, connectsPerSecond.toFixed(0), result.errors, result.serverCores.toFixed(2), `${result.serverRssMB.toFixed(0)} MB`, `${result.serverPeakRssMB.toFixed(0)} MB`, `${result.fdsBefore} → ${result.fdsAfter}`]],
    targets: [
      { name: 'errors', target: '0', measured: String(result.errors), met: result.errors === 0 },
      { name: 'descriptors', target: 'back to the baseline after the viewers leave', measured: `${result.fdsBefore} → ${result.fdsAfter}`, met: result.fdsAfter <= result.fdsBefore + 2 },
    ],
    raw: { ...result, connectsPerSecond },
  };
};
