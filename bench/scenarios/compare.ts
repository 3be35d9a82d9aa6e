import { barChart, lineChart } from '../chart.ts';
import { measureFanout, type FanoutResult } from '../fanout.ts';
import { deliveredCheck, fanoutRow, FANOUT_COLUMNS, type Scenario } from '../scenario.ts';
import { SERVER_LABELS, SERVERS } from '../servers/launch.ts';

/**
 * fragcast side by side with the ceiling (bare uWS publish), the `ws`
 * baseline and node-media-server: same machine, same source, same client
 * load, one run. Each server is measured at a sweep of viewer counts up to
 * `--clients`; the report gives each as a ratio to the ceiling.
 */
export const compare: Scenario = async ({ clients = 8000, duration, settle, mediaPath, bitrate, fanoutThreads, log }) => {
  // A sweep up to --clients (one point only for a smoke run with a handful of viewers).
  const counts = clients < 8 ? [clients] : [...new Set([clients / 8, clients / 4, clients / 2, clients].map(Math.round))];
  const results: FanoutResult[] = [];
  for (const count of counts) {
    for (const server of SERVERS) {
      log(`compare: ${server} with ${count} viewers`);
      try {
        results.push(await measureFanout({ server, mediaPath, fanoutThreads, protocol: 'ws', clients: count, duration, settle, log }));
      } catch (error) {
        log(`  ${server} failed: ${(error as Error).message}`);
      }
    }
  }
  const at = (server: string, count: number): FanoutResult | undefined => results.find((r) => r.server === server && r.clients === count);
  const rows = results.map((r) => {
    const ceiling = at('uws-ceiling', r.clients);
    const ratio = ceiling ? r.throughputMbps / ceiling.throughputMbps : undefined;
    return [...fanoutRow(SERVER_LABELS[r.server], r), ratio === undefined ? '—' : `${ratio.toFixed(2)}×`];
  });
  const top = at('fragcast', clients);
  const topCeiling = at('uws-ceiling', clients);
  const ratioTop = top && topCeiling ? top.throughputMbps / topCeiling.throughputMbps : 0;
  const throughput = lineChart(
    `Delivered throughput, one ${bitrate} Mbit/s stream`,
    'WebSocket viewers',
    'Mbit/s delivered',
    SERVERS.map((server) => ({ label: SERVER_LABELS[server].replace(/`/g, ''), points: counts.flatMap((n) => (at(server, n) ? [[n, at(server, n)!.throughputMbps] as const] : [])) })),
  );
  const delays = barChart(
    `Server-added delay at ${clients} viewers (arrival → receipt)`,
    'ms',
    ['p50', 'p99'],
    SERVERS.filter((s) => at(s, clients)?.serverDelayP50 !== undefined).map((server) => ({
      label: SERVER_LABELS[server].replace(/`/g, ''),
      values: [at(server, clients)!.serverDelayP50, at(server, clients)!.serverDelayP99],
    })),
  );
  return {
    scenario: 'compare',
    title: `fragcast and its peers, ${counts.join('/')} WebSocket viewers of one ${bitrate} Mbit/s stream`,
    columns: [...FANOUT_COLUMNS, 'throughput vs ceiling'],
    rows,
    targets: top
      ? [
          deliveredCheck(top),
          { name: 'vs the ceiling', target: '≥ 0.9×', measured: `${ratioTop.toFixed(3)}×`, met: ratioTop >= 0.9 },
        ]
      : [],
    charts: [
      { name: 'throughput', svg: throughput },
      { name: 'delay', svg: delays },
    ],
    raw: results,
  };
};
