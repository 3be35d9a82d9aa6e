import { measureFanout } from '../fanout.ts';
import { deliveredCheck, fanoutRow, FANOUT_COLUMNS, type Scenario } from '../scenario.ts';

/** Many WebSocket viewers of one stream: delivered bytes, server-added delay, CPU and memory. */
export const fanoutWs: Scenario = async ({ clients = 8000, duration, mediaPath, bitrate, log }) => {
  const result = await measureFanout({ server: 'fragcast', mediaPath, protocol: 'ws', clients, duration, log });
  const rssBound = 150 + (16 * clients) / 1024;
  return {
    scenario: 'fanout-ws',
    title: `${clients} WebSocket viewers of one ${bitrate} Mbit/s stream`,
    columns: FANOUT_COLUMNS,
    rows: [fanoutRow('fragcast', result)],
    targets: [
      deliveredCheck(result),
      { name: 'server RSS', target: `≤ ${rssBound.toFixed(0)} MB (150 MB + 16 KB per viewer)`, measured: `${result.serverPeakRssMB.toFixed(0)} MB peak`, met: result.serverPeakRssMB <= rssBound },
    ],
    raw: result,
  };
};
