import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { test } from 'node:test';
import { demoPage } from '../helpers/browser.ts';
import { ROOT } from '../helpers/fixtures.ts';

interface PageStats {
  currentTime: number;
  stats?: { latency?: number; timeToFirstFrame?: number; buffer: number; droppedFrames: number; decodedFrames: number };
}

test('the player page plays the demo in headless Chromium: currentTime advances ≥ 2 s within 5 s of load', async (t) => {
  const { server, page, problems } = await demoPage(t);
  const loadedAt = Date.now();
  await page.goto(`${server.http}/streams/demo`);
  const read = (): Promise<PageStats> =>
    page.evaluate(() => ({
      currentTime: document.querySelector('fragcast-player')!.video.currentTime,
      stats: (window as unknown as { fragcastStats?: PageStats['stats'] }).fragcastStats,
    }));
  // currentTime starts at the live edge (the stream's media time), so measure its advance, not its value.
  let first: number | undefined;
  let latest: PageStats = { currentTime: 0 };
  const latencies: number[] = [];
  while (Date.now() - loadedAt < 5000) {
    latest = await read();
    if (first === undefined && latest.currentTime > 0) first = latest.currentTime;
    if (latest.stats?.latency !== undefined) latencies.push(latest.stats.latency);
    await page.waitForTimeout(100);
  }
  assert.ok(first !== undefined, 'playback started');
  const advanced = latest.currentTime - first;
  assert.ok(advanced >= 2, `currentTime advanced ${advanced.toFixed(2)} s in 5 s`);
  const ttff = latest.stats?.timeToFirstFrame;
  assert.ok(ttff !== undefined, 'the player reported its first frame');
  const sorted = latencies.slice(Math.floor(latencies.length / 2)).sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)];
  console.log(`# time to first frame ${Math.round(ttff)} ms after load(); latency (producer wallclock → shown) median ${median === undefined ? '—' : `${Math.round(median * 1000)} ms`} over the last 2.5 s; dropped ${latest.stats!.droppedFrames}/${latest.stats!.decodedFrames} frames`);
  assert.ok(median !== undefined && median > 0 && median < 2, `latency ${median} s`);
  assert.deepEqual(problems, []);
  mkdirSync(`${ROOT}test-output`, { recursive: true });
  await page.screenshot({ path: `${ROOT}test-output/player.png` });
});

test('the chunked live.mp4 plays in a plain <video src> element', async (t) => {
  const { server, page } = await demoPage(t);
  await page.goto(`${server.http}/`);
  const advanced = await page.evaluate(async (src) => {
    const video = document.createElement('video');
    video.muted = true;
    video.src = src;
    document.body.append(video);
    await video.play();
    const start = video.currentTime;
    await new Promise((resolve) => setTimeout(resolve, 3000));
    return video.currentTime - start;
  }, `${server.http}/streams/demo/live.mp4`);
  assert.ok(advanced >= 1.5, `currentTime advanced ${advanced.toFixed(2)} s in 3 s`);
});

test('an autoplaying player asks for no snapshot and builds no controls before its first frame; one without autoplay shows the snapshot at once', async (t) => {
  const { server, page, problems } = await demoPage(t);
  const snapshots: string[] = [];
  page.on('request', (request) => {
    if (request.url().includes('snapshot.jpg')) snapshots.push(request.url());
  });
  // The element's own `playing` event, seen in the capture phase before any page listener: until then the start is quiet.
  // (fragcastStats would not do: the page refreshes it every 500 ms.)
  await page.addInitScript({ content: "document.addEventListener('playing', () => { window.__fragcastPlaying = true; }, true);" });
  await page.goto(`${server.http}/streams/demo`);
  const early = await page.evaluate(async () => {
    await customElements.whenDefined('fragcast-player');
    const element = document.querySelector('fragcast-player')!;
    return { controls: element.video.controls, poster: element.video.getAttribute('poster'), played: (window as unknown as { __fragcastPlaying?: boolean }).__fragcastPlaying === true };
  });
  if (!early.played) assert.deepEqual({ controls: early.controls, poster: early.poster }, { controls: false, poster: null }, 'quiet until the first frame');
  await page.waitForFunction(() => (window as unknown as { fragcastStats?: { firstFrameAt?: number } }).fragcastStats?.firstFrameAt !== undefined, null, { timeout: 10_000 });
  await page.waitForFunction(() => document.querySelector('fragcast-player')!.video.controls, null, { timeout: 5000 });
  await page.waitForTimeout(1500); // past the quiet start's longest
  assert.deepEqual(snapshots, [], 'a fast start never asks for the snapshot');

  // The same element without autoplay: the snapshot is its poster from the start, and the browser fetches it.
  const poster = await page.evaluate(async () => {
    const element = document.createElement('fragcast-player');
    element.setAttribute('src', '/streams/demo');
    element.setAttribute('controls', '');
    document.body.append(element);
    await customElements.whenDefined('fragcast-player');
    return { poster: (element as unknown as { video: HTMLVideoElement }).video.poster, controls: (element as unknown as { video: HTMLVideoElement }).video.controls };
  });
  assert.match(poster.poster, /\/streams\/demo\/snapshot\.jpg\?width=\d+$/);
  assert.equal(poster.controls, true);
  await page.waitForTimeout(500);
  assert.equal(snapshots.length, 1, 'the poster was fetched');
  assert.deepEqual(problems, []);
});
