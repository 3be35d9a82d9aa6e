import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { test } from 'node:test';
import { demoPage } from '../helpers/browser.ts';
import { ROOT } from '../helpers/fixtures.ts';
import { WsViewer } from '../helpers/ws-viewer.ts';

const OUTPUT = `${ROOT}test-output`;

test('the home page shows the demo as a card with a live thumbnail, codecs, resolution, viewers and every link', async (t) => {
  const { server, page, problems } = await demoPage(t);
  await page.setViewportSize({ width: 1280, height: 720 });
  await page.goto(`${server.http}/`);
  const card = page.locator('article[data-stream="demo"]');
  assert.match(await card.innerText(), /demo\s+running[\s\S]*codecs\s+avc1\.[0-9a-f]{6}, mp4a\.40\.2\s+resolution\s+1280×720/);
  const hrefs = await card.locator('a').evaluateAll((links) => links.map((a) => a.getAttribute('href')));
  for (const href of ['/streams/demo', '/streams/demo/live.mp4', '/streams/demo/index.m3u8', '/streams/demo/snapshot.jpg', '/streams/demo/snapshot.mp4']) assert.ok(hrefs.includes(href), `links to ${href}`);
  await card.locator('details summary').click();
  assert.equal(await card.locator('details code').innerText(), `<script src="${server.http}/embed.js" data-stream="demo" async></script>`);

  // The thumbnail is a real decoded picture, and a newer one replaces it within the refresh interval.
  const thumb = card.locator('img[data-field="thumb"]');
  await page.waitForFunction(() => (document.querySelector('img[data-field="thumb"]') as HTMLImageElement | null)?.naturalWidth === 320, undefined, { timeout: 5000 });
  assert.equal(await thumb.evaluate((img: HTMLImageElement) => img.naturalHeight), 180);
  const firstSrc = await thumb.getAttribute('src');
  assert.match(firstSrc!, /^\/streams\/demo\/snapshot\.jpg\?width=320&k=1-\d+$/);

  // Live fields: a viewer that connects shows up on the card without a reload.
  const viewer = new WsViewer(`${server.ws}/streams/demo/ws`);
  t.after(() => viewer.close());
  await page.waitForFunction(() => document.querySelector('[data-stream="demo"] [data-field="viewers"]')?.textContent === '1 (ws 1)', undefined, { timeout: 5000 });
  await page.waitForFunction((src) => document.querySelector('img[data-field="thumb"]')?.getAttribute('src') !== src, firstSrc, { timeout: 9000 });
  assert.deepEqual(problems, []);
  mkdirSync(OUTPUT, { recursive: true });
  await page.screenshot({ path: `${OUTPUT}/home.png` });
});

test('the stats page draws live charts and lists the sessions, with a kick button that works', async (t) => {
  const { server, page, problems } = await demoPage(t);
  const viewer = new WsViewer(`${server.ws}/streams/demo/ws`);
  t.after(() => viewer.close());
  await viewer.opened;
  await page.setViewportSize({ width: 1280, height: 1100 });
  await page.goto(`${server.http}/stats`);
  // Charts with data: every chart draws a line of at least 3 samples, and the legends name the demo.
  const charts = ['viewers', 'ingest', 'egress', 'fragments', 'skips', 'restarts', 'cpu', 'rss'];
  await page.waitForFunction(
    (ids) => ids.every((id) => (document.querySelector(`#chart-${id} polyline`)?.getAttribute('points')?.split(' ').length ?? 0) >= 3),
    charts,
    { timeout: 10_000 },
  );
  assert.match(await page.locator('#chart-viewers .legend').innerText(), /demo ws 1/);
  assert.match(await page.locator('#chart-ingest .legend').innerText(), /demo \d+(\.\d)? (Mb|kb)\/s/);
  const row = page.locator('#sessions tbody tr').first();
  assert.match(await row.innerText(), /^v\w+\s+127\.0\.0\.1\s+ws\s+demo\s+\d+ s\s+[\d.]+ (KiB|MiB)\s+0\s+\d+ ms/);
  assert.deepEqual(problems, []);
  mkdirSync(OUTPUT, { recursive: true });
  await page.screenshot({ path: `${OUTPUT}/stats.png`, fullPage: true });

  await row.locator('button', { hasText: 'kick' }).click();
  assert.equal(await viewer.closed, 4403);
  await page.waitForFunction(() => document.querySelector('#sessions tbody')?.textContent?.includes('No viewers are connected.'), undefined, { timeout: 5000 });
});
