import { measureFanout } from '../fanout.ts';
import { deliveredCheck, fanoutRow, FANOUT_COLUMNS, type Scenario } from '../scenario.ts';
import { SERVER_LABELS } from '../servers/launch.ts';

/**
 * Many WebSocket viewers of one stream: delivered bytes, server-added delay,
 * CPU and memory; and the ceiling (bare uWS publish) under the same load in
 * the same run, so that a load the machine cannot carry shows as such.
 */
export const fanoutWs: Scenario = async ({ clients = 8000, duration, settle, mediaPath, bitrate, fanoutThreads, log }) => {
  const result = await measureFanout({ server: 'fragcast', mediaPath, fanoutThreads, protocol: 'ws', clients, duration, settle, log });
  log(`fanout-ws: the ceiling with ${clients} viewers`);
  const ceiling = await measureFanout({ server: 'uws-ceiling', mediaPath, protocol: 'ws', clients, duration, settle, log });
  const ratio = result.throughputMbps / ceiling.throughputMbps;
  const rssBound = 150 + (16 * clients) / 1024;
  return {
    scenario: 'fanout-ws',
    title: `${clients} WebSocket viewers of one ${bitrate} Mbit/s stream, beside the ceiling`,
    columns: [...FANOUT_COLUMNS, 'throughput vs ceiling'],
    rows: [
      [...fanoutRow(SERVER_LABELS.fragcast, result), `${ratio.toFixed(3)}×`],
      [...fanoutRow(SERVER_LABELS['uws-ceiling'], ceiling), '1.00×'],
    ],
    targets: [
      deliveredCheck(result),
      { name: 'vs the ceiling, same run', target: '≥ 0.9×', measured: `${ratio.toFixed(3)}×`, met: ratio >= 0.9 },
      { name: 'server RSS', target: `≤ ${rssBound.toFixed(0)} MB (150 MB + 16 KB per viewer)`, measured: `${result.serverPeakRssMB.toFixed(0)} MB peak`, met: result.serverPeakRssMB <= rssBound },
    ],
    raw: { fragcast: result, ceiling },
  };
};
