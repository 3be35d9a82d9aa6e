import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FfmpegSource } from '../../server/sources/ffmpeg-source.ts';
import { demoPage } from '../helpers/browser.ts';

interface Snapshot {
  currentTime: number;
  generation: number;
  reconnects: number;
}

test('the player carries on by itself across a source restart and a dropped connection', async (t) => {
  const { server, page } = await demoPage(t);
  const entry = server.registry.entry('demo')!;
  await page.goto(`${server.http}/streams/demo`);
  const snapshot = (): Promise<Snapshot> =>
    page.evaluate(() => {
      const stats = (window as unknown as { fragcastStats?: { generation: number; reconnects: number } }).fragcastStats;
      return {
        currentTime: document.querySelector('fragcast-player')!.video.currentTime,
        generation: stats?.generation ?? 0,
        reconnects: stats?.reconnects ?? 0,
      };
    });
  const advancesBy = async (seconds: number, withinMs: number): Promise<number> => {
    const start = (await snapshot()).currentTime;
    const deadline = Date.now() + withinMs;
    let now = start;
    while (Date.now() < deadline && now - start < seconds) {
      await page.waitForTimeout(100);
      now = (await snapshot()).currentTime;
    }
    return now - start;
  };
  assert.ok((await advancesBy(1, 10_000)) >= 1, 'plays before anything happens');

  // 1. ffmpeg dies: a new init generation, new timestamps from 0; the page must not need a reload.
  process.kill((entry.source as FfmpegSource).pid!, 'SIGKILL');
  await page.waitForFunction(() => (window as unknown as { fragcastStats?: { generation: number } }).fragcastStats?.generation === 2, null, { timeout: 10_000 });
  const afterRestart = await advancesBy(2, 10_000);
  assert.ok(afterRestart >= 2, `after the source restart currentTime advanced ${afterRestart.toFixed(2)} s`);

  // 2. The server drops every WebSocket viewer: the player reconnects with backoff and plays on.
  server.viewers.closeAll('STREAM_CLOSED');
  await page.waitForFunction(() => ((window as unknown as { fragcastStats?: { reconnects: number } }).fragcastStats?.reconnects ?? 0) >= 1, null, { timeout: 10_000 });
  const afterReconnect = await advancesBy(2, 10_000);
  assert.ok(afterReconnect >= 2, `after reconnecting currentTime advanced ${afterReconnect.toFixed(2)} s`);
  const status = await page.locator('#status').innerText();
  assert.doesNotMatch(status, /Stopped/, 'no fatal error was shown');
});
