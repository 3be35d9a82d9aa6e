import { fragcastInChromium, percentile } from '../browser.ts';
import { measureFanout } from '../fanout.ts';
import { ms, type Scenario } from '../scenario.ts';

/**
 * Two delays: what the server adds between a fragment's arrival and its
 * receipt by a viewer, under `--clients` WebSocket viewers; and glass to glass
 * in headless Chromium on the player page — a frame's prft wallclock against
 * the time it is shown (requestVideoFrameCallback's expected display time).
 */
export const latency: Scenario = async ({ clients = 2000, duration, settle, mediaPath, fanoutThreads, log }) => {
  const load = await measureFanout({ server: 'fragcast', mediaPath, fanoutThreads, protocol: 'ws', clients, duration, settle, log });
  log('latency: glass to glass in Chromium');
  const browser = await fragcastInChromium(mediaPath, fanoutThreads);
  let samples: number[];
  try {
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${browser.server.ready.port}/streams/bench`);
    await page.waitForTimeout(3000); // past the start and the catch-up to the target
    await page.evaluate(() => ((window as unknown as { fragcastFrameLatencies: number[] }).fragcastFrameLatencies.length = 0));
    await page.waitForTimeout(duration * 1000);
    samples = (await page.evaluate(() => (window as unknown as { fragcastFrameLatencies: number[] }).fragcastFrameLatencies)).map((s) => s * 1000);
  } finally {
    await browser.close();
  }
  const g50 = percentile(samples, 0.5);
  const g95 = percentile(samples, 0.95);
  return {
    scenario: 'latency',
    title: `Server-added delay at ${clients} viewers; glass to glass in headless Chromium`,
    columns: ['measure', 'samples', 'p50', 'p95', 'p99'],
    rows: [
      [`server-added (arrival → receipt), ${clients} viewers`, load.clients, ms(load.serverDelayP50), '—', ms(load.serverDelayP99)],
      ['producer → viewer socket (prft → receipt; includes ffmpeg muxer hold)', load.clients, ms(load.delayP50), '—', ms(load.delayP99)],
      ['glass to glass in Chromium (prft → frame shown)', samples.length, ms(g50), ms(g95), ms(percentile(samples, 0.99))],
    ],
    targets: [
      { name: `server-added p99 at ${clients} viewers`, target: '≤ 10 ms', measured: ms(load.serverDelayP99), met: (load.serverDelayP99 ?? Infinity) <= 10 },
      { name: 'glass to glass p50', target: '≤ 200 ms', measured: ms(g50), met: (g50 ?? Infinity) <= 200 },
      { name: 'glass to glass p95', target: '≤ 400 ms', measured: ms(g95), met: (g95 ?? Infinity) <= 400 },
    ],
    raw: { load, glassToGlassMs: samples },
  };
};
