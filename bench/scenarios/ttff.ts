import { fragcastInChromium, percentile } from '../browser.ts';
import { ms, type Scenario } from '../scenario.ts';

/** Time to first frame from navigation, over fresh page loads of the player in headless Chromium. */
export const ttff: Scenario = async ({ clients = 10, mediaPath, log }) => {
  const browser = await fragcastInChromium(mediaPath);
  const times: number[] = [];
  try {
    for (let i = 0; i < clients; i++) {
      const page = await browser.newPage();
      await page.goto(`http://127.0.0.1:${browser.server.ready.port}/streams/bench`);
      const handle = await page.waitForFunction(() => (window as unknown as { fragcastStats?: { firstFrameAt?: number } }).fragcastStats?.firstFrameAt, null, { timeout: 10_000 });
      times.push(Number(await handle.jsonValue()));
      log(`  load ${i + 1}: first frame ${times.at(-1)!.toFixed(0)} ms after navigation`);
      await page.context().close();
      // Land at a random point of the GOP, not always just after a keyframe.
      await new Promise((resolve) => setTimeout(resolve, 200 + Math.random() * 800));
    }
  } finally {
    await browser.close();
  }
  const p50 = percentile(times, 0.5);
  return {
    scenario: 'ttff',
    title: `Time to first frame over ${clients} fresh loads of the player page in headless Chromium`,
    columns: ['loads', 'min', 'p50', 'p90', 'max'],
    rows: [[times.length, ms(Math.min(...times)), ms(p50), ms(percentile(times, 0.9)), ms(Math.max(...times))]],
    targets: [{ name: 'time to first frame (p50)', target: '≤ 300 ms from navigation', measured: ms(p50), met: (p50 ?? Infinity) <= 300 }],
    raw: { times },
  };
};
