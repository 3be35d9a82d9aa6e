import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { BLOCKED_WEBSOCKET, launchChromium } from '../helpers/browser.ts';
import { ROOT } from '../helpers/fixtures.ts';
import { parsePlaylist } from '../helpers/m3u8.ts';
import { startDemoServer, type TestServer, waitFor } from '../helpers/server.ts';

interface PageStats {
  mode: string;
  latency?: number;
  playingDate?: number;
}

let server: TestServer;
let browser: Browser;

before(async () => {
  server = await startDemoServer();
  browser = await launchChromium();
});
after(async () => {
  await browser.close();
  await server.close();
});

/** A new page; `problems` collects page errors and console errors. */
async function open(path: string, setup?: (page: Page) => Promise<unknown>): Promise<{ page: Page; problems: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`);
  });
  await setup?.(page);
  await page.goto(`${server.http}${path}`);
  return { page, problems };
}

function read(page: Page): Promise<{ currentTime: number; stats: PageStats | undefined }> {
  return page.evaluate(() => ({
    currentTime: document.querySelector('fragcast-player')!.video.currentTime,
    stats: (window as unknown as { fragcastStats?: PageStats }).fragcastStats,
  }));
}

/** How far currentTime advances within `ms`. */
async function advance(page: Page, ms: number): Promise<number> {
  const start = (await read(page)).currentTime;
  await page.waitForTimeout(ms);
  return (await read(page)).currentTime - start;
}

async function addMarker(label: string, timeMs?: number): Promise<{ id: string; label: string; time: string }> {
  const body = JSON.stringify(timeMs === undefined ? { label } : { label, time: new Date(timeMs).toISOString() });
  const response = await fetch(`${server.http}/api/streams/demo/markers`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  assert.equal(response.status, 201);
  return ((await response.json()) as { marker: { id: string; label: string; time: string } }).marker;
}

test('hls.js in headless Chromium plays the live stream in low-latency mode, under 1.5 s behind the producer', async () => {
  const { page, problems } = await open('/streams/demo?mode=hls');
  await page.waitForFunction(() => document.querySelector('fragcast-player')!.video.currentTime > 0, null, { timeout: 8000 });
  const latencies: number[] = [];
  const started = Date.now();
  const first = (await read(page)).currentTime;
  let last = first;
  while (Date.now() - started < 6000) {
    const { currentTime, stats } = await read(page);
    last = currentTime;
    assert.equal(stats?.mode ?? 'hls', 'hls');
    // hls.js starts at an independent part and then settles on PART-HOLD-BACK: measure once it has.
    if (Date.now() - started > 3000 && stats?.latency !== undefined) latencies.push(stats.latency);
    await page.waitForTimeout(100);
  }
  assert.ok(last - first >= 5, `currentTime advanced ${(last - first).toFixed(2)} s in 6 s`);
  const median = [...latencies].sort((a, b) => a - b)[Math.floor(latencies.length / 2)];
  console.log(`# LL-HLS latency (producer wallclock → shown, via PROGRAM-DATE-TIME) median ${median === undefined ? '—' : `${Math.round(median * 1000)} ms`} over the last 3 s`);
  assert.ok(median !== undefined && median > 0 && median < 1.5, `latency ${median} s`);
  assert.equal(await page.locator('input[name="mode"][value="hls"]').isChecked(), true);
  assert.deepEqual(problems, []);
  mkdirSync(`${ROOT}test-output`, { recursive: true });
  await page.screenshot({ path: `${ROOT}test-output/player-hls.png` });
  await page.close();
});

test('a marker added through the API shows up in the playlist, on the HLS page (list and timeline) and on the WebSocket page', async () => {
  const hlsPage = await open('/streams/demo?mode=hls');
  const wsPage = await open('/streams/demo');
  await hlsPage.page.waitForFunction(() => document.querySelector('fragcast-player')!.video.currentTime > 0, null, { timeout: 8000 });
  await wsPage.page.waitForFunction(() => document.querySelector('fragcast-player')!.video.currentTime > 0, null, { timeout: 8000 });
  const marker = await addMarker('Goal! 1–0');
  const playlist = parsePlaylist(await (await fetch(`${server.http}/streams/demo/index.m3u8`)).text());
  assert.equal(playlist.dateRanges.find((range) => range.ID === marker.id)?.['X-LABEL'], 'Goal! 1–0');
  for (const { page } of [hlsPage, wsPage]) {
    const item = page.locator(`#markers li[data-id="${marker.id}"]`);
    await item.waitFor({ timeout: 4000 });
    assert.match(await item.innerText(), /Goal! 1–0/);
  }
  // HLS mode can seek to it: its button is enabled and a tick marks it on the timeline.
  await hlsPage.page.waitForFunction((id) => !(document.querySelector(`#markers li[data-id="${id}"] button.seek`) as HTMLButtonElement).disabled, marker.id, { timeout: 4000 });
  assert.ok((await hlsPage.page.locator('#timeline .tick').count()) >= 1);
  assert.equal(await wsPage.page.locator(`#markers li[data-id="${marker.id}"] button.seek`).isDisabled(), true);
  assert.deepEqual([...hlsPage.problems, ...wsPage.problems], []);
  await hlsPage.page.close();
  await wsPage.page.close();
});

test('when the WebSocket cannot connect, the page falls back to HLS by itself and plays', async () => {
  const { page, problems } = await open('/streams/demo', (target) => target.addInitScript({ content: BLOCKED_WEBSOCKET }));
  await page.waitForFunction(() => (window as unknown as { fragcastStats?: { mode: string } }).fragcastStats?.mode === 'hls', null, { timeout: 8000 });
  assert.ok((await advance(page, 2500)) >= 1.5, 'plays in HLS mode');
  assert.equal(await page.locator('input[name="mode"][value="auto"]').isChecked(), true);
  assert.match(await page.locator('#mode-note').innerText(), /fell back to LL-HLS \(hls\.js\)/);
  assert.deepEqual(problems, []);
  await page.close();
});

test('without MediaSource (Safari before iOS 17.1) the page hands the playlist to the browser, and where that fails, plays the chunked MP4', async () => {
  // A browser that says "maybe" to HLS but cannot play this playlist: its media element fails on it, and the chain walks on to live.mp4.
  const { page } = await open('/streams/demo', (target) =>
    target.addInitScript({
      content: `
        delete window.MediaSource;
        delete window.ManagedMediaSource;
        const canPlayType = HTMLMediaElement.prototype.canPlayType;
        HTMLMediaElement.prototype.canPlayType = function (type) {
          return type === 'application/vnd.apple.mpegurl' ? 'maybe' : canPlayType.call(this, type);
        };
        const src = Object.getOwnPropertyDescriptor(HTMLMediaElement.prototype, 'src');
        Object.defineProperty(HTMLMediaElement.prototype, 'src', {
          get() { return src.get.call(this); },
          set(value) {
            window.playlistHandedOver ||= String(value).endsWith('/streams/demo/index.m3u8');
            src.set.call(this, String(value).endsWith('.m3u8') ? 'data:application/vnd.apple.mpegurl,unplayable' : value);
          },
        });
      `,
    }),
  );
  await page.waitForFunction(() => (window as unknown as { playlistHandedOver?: boolean }).playlistHandedOver, null, { timeout: 5000 });
  await page.waitForFunction(() => (window as unknown as { fragcastStats?: { mode: string } }).fragcastStats?.mode === 'mp4', null, { timeout: 8000 });
  assert.ok((await advance(page, 2500)) >= 1.5, 'plays the chunked MP4');
  assert.match(await page.locator('#mode-note').innerText(), /fell back to chunked MP4: The HLS playlist did not load/);
  await page.close();
});

test('seeking 30 s back into the DVR window (to a marker) plays from there', async () => {
  const timeline = server.hls.timeline('demo')!;
  await waitFor('36 s in the DVR window', () => timeline.store.stats.seconds >= 36, 60_000);
  const marker = await addMarker('Thirty seconds ago', Date.now() - 30_000);
  const { page, problems } = await open('/streams/demo?mode=hls');
  const button = page.locator(`#markers li[data-id="${marker.id}"] button.seek`);
  await page.waitForFunction((id) => {
    const seek = document.querySelector(`#markers li[data-id="${id}"] button.seek`) as HTMLButtonElement | null;
    return seek !== null && !seek.disabled;
  }, marker.id, { timeout: 10_000 });
  await button.click();
  const markerMs = Date.parse(marker.time);
  await page.waitForFunction((target) => {
    const date = (window as unknown as { fragcastStats?: { playingDate?: number } }).fragcastStats?.playingDate;
    return date !== undefined && Math.abs(date - target) < 3000;
  }, markerMs, { timeout: 8000 });
  assert.ok((await advance(page, 2500)) >= 1.5, 'plays from the marker');
  const { stats } = await read(page);
  assert.ok(stats!.latency! > 25, `now ${stats!.latency} s behind the live edge`);
  assert.ok(stats!.playingDate! - markerMs > 0 && stats!.playingDate! - markerMs < 8000, 'playing just after the marker');
  // And back to live.
  await page.locator('fragcast-player .live').click();
  await page.waitForFunction(() => ((window as unknown as { fragcastStats?: { latency?: number } }).fragcastStats?.latency ?? 99) < 3, null, { timeout: 8000 });
  assert.deepEqual(problems, []);
  await page.close();
});
