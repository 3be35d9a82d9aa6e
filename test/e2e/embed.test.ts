import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import type { FragcastPlayerElement } from '../../client/widget/fragcast-player.ts';
import type { FfmpegSource } from '../../server/sources/ffmpeg-source.ts';
import { BLOCKED_WEBSOCKET, demoPage, PLAYER_EVENT_LOG, servePage, type LoggedPlayerEvent } from '../helpers/browser.ts';
import { ROOT } from '../helpers/fixtures.ts';
import { waitFor } from '../helpers/server.ts';

/**
 * The embeddable player as a site uses it: a page served from another
 * origin (a second HTTP server on another port) with the one-line
 * `<script>` snippet, in headless Chromium, against a real fragcast.
 */

const OUTPUT = `${ROOT}test-output`;

function sitePage(snippets: string, title = 'A site that embeds a stream'): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${title}</title><link rel="icon" href="data:,"></head>
<body style="margin: 0; padding: 16px; background: #f3f1ec; font: 15px system-ui, sans-serif; color: #222">
<h1 style="font-size: 20px; margin: 0 0 12px">${title}</h1>
${snippets}
</body></html>`;
}

function events(page: Page, player?: string): Promise<LoggedPlayerEvent[]> {
  return page.evaluate((id) => (window as unknown as { playerEvents: LoggedPlayerEvent[] }).playerEvents.filter((event) => id === undefined || event.player === id), player);
}

/** currentTime of each `<fragcast-player>`'s video (in its shadow root). */
function currentTimes(page: Page): Promise<number[]> {
  return page.evaluate(() => [...document.querySelectorAll('fragcast-player')].map((element) => (element as HTMLElement & { video: HTMLVideoElement }).video.currentTime));
}

/** How far each player's currentTime advances within `ms`. */
async function advances(page: Page, ms: number): Promise<number[]> {
  const before = await currentTimes(page);
  await page.waitForTimeout(ms);
  const after = await currentTimes(page);
  return after.map((time, i) => time - before[i]!);
}

async function waitForEvent(page: Page, player: string, type: string, since = 0, timeout = 8000): Promise<void> {
  await page.waitForFunction(
    ([id, kind, after]) => (window as unknown as { playerEvents: LoggedPlayerEvent[] }).playerEvents.some((event) => event.player === id && event.type === kind && event.at > after),
    [player, type, since] as const,
    { timeout },
  );
}

test('the one-line <script> embed on another origin plays over WebSocket, at the live edge, with latency events ≤ 0.5 s', async (t) => {
  const { server, page, problems } = await demoPage(t);
  const site = await servePage(t, sitePage(`<div style="width: 800px"><script id="live" src="${server.http}/embed.js" data-stream="demo" data-stats async></script></div>`));
  assert.notEqual(new URL(site).origin, new URL(server.http).origin, 'the page is on another origin');
  await page.setViewportSize({ width: 900, height: 560 });
  await page.addInitScript({ content: PLAYER_EVENT_LOG });
  const loadedAt = Date.now();
  await page.goto(site);
  await waitForEvent(page, 'live', 'playing');
  const ttff = Date.now() - loadedAt;

  // The script tag replaced itself with the element; the video sits in its shadow root.
  assert.equal(await page.locator('script[src$="embed.js"]').count(), 0);
  assert.equal(await page.evaluate(() => document.querySelector('fragcast-player')?.shadowRoot?.querySelector('video') instanceof HTMLVideoElement), true);
  assert.deepEqual(await page.evaluate(() => document.querySelector('fragcast-player')!.getBoundingClientRect().toJSON()).then((box: DOMRect) => [Math.round(box.width), Math.round(box.height)]), [800, 450], 'full width of its container, 16:9');
  const [advanced] = await advances(page, 2000);
  assert.ok(advanced! >= 1.5, `currentTime advanced ${advanced!.toFixed(2)} s in 2 s`);

  // Past the start, the latency events report what the controller holds on loopback.
  await page.waitForTimeout(1500);
  const since = await page.evaluate(() => performance.now());
  await page.waitForTimeout(3000);
  const figures = (await events(page, 'live')).filter((event) => event.type === 'latency' && event.at > since).map((event) => event.detail);
  assert.ok(figures.length >= 5, `${figures.length} latency events in 3 s`);
  for (const figure of figures) {
    assert.equal(figure.mode, 'ws');
    assert.equal(figure.live, true);
    for (const key of ['buffer', 'bitrate', 'droppedFrames', 'reconnects', 'targetLatency']) assert.equal(typeof figure[key], 'number', key);
  }
  const latencies = figures.map((figure) => figure.latency as number).sort((a, b) => a - b);
  const median = latencies[Math.floor(latencies.length / 2)]!;
  const buffers = figures.map((figure) => figure.buffer as number).sort((a, b) => a - b);
  console.log(`# embed: first frame ${ttff} ms after navigation; latency median ${Math.round(median * 1000)} ms, max ${Math.round(latencies.at(-1)! * 1000)} ms over 3 s (buffer median ${Math.round(buffers[Math.floor(buffers.length / 2)]! * 1000)} ms)`);
  assert.ok(median > 0 && median <= 0.5, `median latency ${median} s`);
  assert.ok(latencies.at(-1)! <= 0.6, `max latency ${latencies.at(-1)} s`);

  // The overlay is on (data-stats); S toggles it; the LIVE badge is red.
  const overlay = page.locator('fragcast-player .stats');
  assert.match(await overlay.innerText(), /mode\s+WebSocket \+ MSE[\s\S]*latency\s+\d+ ms[\s\S]*reconnects 0/);
  assert.equal(await page.locator('fragcast-player .live').evaluate((badge) => badge.classList.contains('behind')), false);
  mkdirSync(OUTPUT, { recursive: true });
  await page.screenshot({ path: `${OUTPUT}/embed.png` });
  await page.locator('fragcast-player').focus();
  await page.keyboard.press('s');
  assert.equal(await overlay.isVisible(), false);

  // Pausing puts it behind live (grey badge); a click on the badge returns to the edge.
  await page.evaluate(() => document.querySelector('fragcast-player')!.video.pause());
  await waitForEvent(page, 'live', 'live', since);
  await page.waitForTimeout(1500);
  assert.equal(await page.locator('fragcast-player .live').evaluate((badge) => badge.classList.contains('behind')), true);
  await page.locator('fragcast-player .live').click();
  await page.waitForFunction(() => document.querySelector('fragcast-player')!.live, null, { timeout: 5000 });
  const buffer = await page.evaluate(() => document.querySelector('fragcast-player')!.playbackStats!.buffer);
  assert.ok(buffer < 1, `back at the edge: ${buffer} s buffered ahead`);
  assert.deepEqual(problems, []);
  assert.deepEqual((await events(page)).filter((event) => event.type === 'error' && event.detail.fatal), []);
});

test('two widgets on one page play independently: one over WebSocket, one over the chunked MP4 at a fixed size', async (t) => {
  const { server, page, problems } = await demoPage(t);
  const site = await servePage(
    t,
    sitePage(`<div style="display: flex; gap: 16px; align-items: flex-start">
<div style="width: 560px"><script id="first" src="${server.http}/embed.js" data-stream="demo" data-stats async></script></div>
<script id="second" src="${server.http}/embed.js" data-stream="demo" data-mode="mp4" data-width="480" data-height="270" data-stats async></script>
</div>`),
  );
  await page.setViewportSize({ width: 1100, height: 420 });
  await page.addInitScript({ content: PLAYER_EVENT_LOG });
  await page.goto(site);
  await waitForEvent(page, 'first', 'playing');
  await waitForEvent(page, 'second', 'playing');
  const [first, second] = await advances(page, 2500);
  assert.ok(first! >= 2, `the first advanced ${first!.toFixed(2)} s in 2.5 s`);
  assert.ok(second! >= 2, `the second advanced ${second!.toFixed(2)} s in 2.5 s`);
  const demo = server.registry.get('demo')!;
  assert.deepEqual([server.viewers.count(demo, 'ws'), server.viewers.count(demo, 'http-mp4')], [1, 1], 'one WebSocket and one live.mp4 viewer');
  const boxes = await page.evaluate(() => [...document.querySelectorAll('fragcast-player')].map((element) => [element.id, element.getBoundingClientRect().width, element.getBoundingClientRect().height]));
  assert.deepEqual(boxes, [['first', 560, 315], ['second', 480, 270]]);
  const modes = await page.evaluate(() => [...document.querySelectorAll('fragcast-player')].map((element) => element.playbackStats?.mode));
  assert.deepEqual(modes, ['ws', 'mp4']);
  // Each element tells its own story.
  const logged = await events(page);
  assert.ok(logged.some((event) => event.player === 'second' && event.type === 'mode' && event.detail.mode === 'mp4'));
  assert.ok(!logged.some((event) => event.player === 'first' && event.type === 'mode' && event.detail.mode !== 'ws'));
  await page.waitForTimeout(1000);
  mkdirSync(OUTPUT, { recursive: true });
  await page.screenshot({ path: `${OUTPUT}/embed-two.png` });
  assert.deepEqual(problems, []);
});

test('with WebSocket blocked, auto falls back to HLS by itself and plays, telling the page with non-fatal errors', async (t) => {
  const { server, page, problems } = await demoPage(t);
  const site = await servePage(t, sitePage(`<script id="live" src="${server.http}/embed.js" data-stream="demo" async></script>`));
  await page.addInitScript({ content: BLOCKED_WEBSOCKET });
  await page.addInitScript({ content: PLAYER_EVENT_LOG });
  await page.goto(site);
  await waitForEvent(page, 'live', 'playing', 0, 12_000);
  const [advanced] = await advances(page, 2500);
  assert.ok(advanced! >= 1.5, `plays in HLS mode: advanced ${advanced!.toFixed(2)} s in 2.5 s`);
  const logged = await events(page, 'live');
  const modes = logged.filter((event) => event.type === 'mode').map((event) => [event.detail.mode, event.detail.fallback]);
  assert.deepEqual(modes, [['ws', false], ['hls', true]]);
  const errors = logged.filter((event) => event.type === 'error').map((event) => event.detail);
  assert.ok(errors.some((error) => error.details === 'wsUnavailable' && error.fatal === false && /trying LL-HLS \(hls\.js\)/.test(String(error.message))), JSON.stringify(errors));
  assert.ok(errors.every((error) => error.fatal === false));
  assert.equal(await page.evaluate(() => document.querySelector('fragcast-player')!.activeMode), 'hls');
  assert.deepEqual(problems, []);
});

test('killing ffmpeg: the embedded player reports a non-fatal error, then plays again by itself, without a reload', async (t) => {
  const { server, page, problems } = await demoPage(t);
  const site = await servePage(t, sitePage(`<script id="live" src="${server.http}/embed.js" data-stream="demo" async></script>`));
  await page.addInitScript({ content: PLAYER_EVENT_LOG });
  await page.goto(site);
  await waitForEvent(page, 'live', 'playing');
  await page.waitForTimeout(1000);
  const entry = server.registry.entry('demo')!;
  const killedAt = await page.evaluate(() => performance.now());
  process.kill((entry.source as FfmpegSource).pid!, 'SIGKILL');
  await page.waitForFunction(
    (after) => {
      const log = (window as unknown as { playerEvents: LoggedPlayerEvent[] }).playerEvents.filter((event) => event.at > after);
      const error = log.findIndex((event) => event.type === 'error' && event.detail.fatal === false);
      return error >= 0 && log.slice(error).some((event) => event.type === 'playing');
    },
    killedAt,
    { timeout: 10_000 },
  );
  const [advanced] = await advances(page, 2000);
  assert.ok(advanced! >= 1.5, `plays again: advanced ${advanced!.toFixed(2)} s in 2 s`);
  const after = (await events(page, 'live')).filter((event) => event.at > killedAt);
  assert.ok(after.some((event) => event.type === 'generation' && event.detail.generation === 2), 'the new generation of the restarted source');
  assert.ok(!after.some((event) => event.type === 'error' && event.detail.fatal), 'no fatal error');
  assert.deepEqual(problems, []);
});

test('a player off screen connects only once seen, and closes its connection a moment after it is scrolled away', async (t) => {
  const { server, page, problems } = await demoPage(t);
  const snippet = (id: string): string => `<div style="width: 480px"><script id="${id}" src="${server.http}/embed.js" data-stream="demo" async></script></div>`;
  const site = await servePage(t, sitePage(`${snippet('top')}<div style="height: 3000px"></div>${snippet('bottom')}<div style="height: 600px"></div>`));
  await page.setViewportSize({ width: 800, height: 600 });
  await page.addInitScript({ content: PLAYER_EVENT_LOG });
  await page.goto(site);
  await waitForEvent(page, 'top', 'playing');
  await page.evaluate(() => {
    (customElements.get('fragcast-player') as unknown as { suspendDelayMs: number }).suspendDelayMs = 300;
  });
  const demo = server.registry.get('demo')!;
  const activeModes = (): Promise<(string | undefined)[]> => page.evaluate(() => [...document.querySelectorAll('fragcast-player')].map((element) => element.activeMode));
  await page.waitForTimeout(500);
  assert.equal(server.viewers.count(demo), 1, 'the player below the fold has not connected');
  assert.deepEqual(await activeModes(), ['ws', undefined]);

  const scrolled = await page.evaluate(() => performance.now());
  await page.evaluate(() => document.getElementById('bottom')!.scrollIntoView());
  await waitForEvent(page, 'bottom', 'playing', scrolled);
  await page.waitForFunction(() => (document.getElementById('top') as FragcastPlayerElement).activeMode === undefined, null, { timeout: 3000 });
  await waitFor('the top player to leave', () => server.viewers.count(demo) === 1, 3000);

  const back = await page.evaluate(() => performance.now());
  await page.evaluate(() => window.scrollTo(0, 0));
  await waitForEvent(page, 'top', 'playing', back);
  await page.waitForFunction(() => (document.getElementById('bottom') as FragcastPlayerElement).activeMode === undefined, null, { timeout: 3000 });
  await waitFor('the bottom player to leave', () => server.viewers.count(demo) === 1, 3000);
  const [advanced] = await advances(page, 1500);
  assert.ok(advanced! >= 1, `the top player plays again, from a fresh connection: advanced ${advanced!.toFixed(2)} s in 1.5 s`);
  assert.deepEqual(problems, []);
});

test('when the browser refuses autoplay with sound, the player starts muted and offers to unmute', async (t) => {
  const { server, page, problems } = await demoPage(t);
  const site = await servePage(t, sitePage(`<div style="width: 640px"><script id="live" src="${server.http}/embed.js" data-stream="demo" data-muted="false" data-controls="false" async></script></div>`));
  // Chromium's policy, as a browser without this test's autoplay flag applies it: sound needs a user gesture.
  await page.addInitScript({
    content: `
      let gesture = false;
      document.addEventListener('click', (event) => { gesture ||= event.isTrusted; }, true);
      const play = HTMLMediaElement.prototype.play;
      HTMLMediaElement.prototype.play = function () {
        if (!this.muted && !gesture) return Promise.reject(new DOMException('play() with sound needs a gesture', 'NotAllowedError'));
        return play.call(this);
      };
    `,
  });
  await page.addInitScript({ content: PLAYER_EVENT_LOG });
  await page.goto(site);
  await waitForEvent(page, 'live', 'playing');
  const blocked = (await events(page, 'live')).find((event) => event.type === 'error' && event.detail.details === 'autoplayBlocked');
  assert.equal(blocked?.detail.fatal, false);
  assert.equal(await page.evaluate(() => document.querySelector('fragcast-player')!.video.muted), true);
  const unmute = page.locator('fragcast-player .unmute');
  await unmute.waitFor({ state: 'visible', timeout: 3000 });
  await unmute.click();
  await page.waitForFunction(() => {
    const video = document.querySelector('fragcast-player')!.video;
    return !video.muted && !video.paused;
  }, null, { timeout: 3000 });
  assert.equal(await unmute.isVisible(), false);
  assert.deepEqual(problems, []);
});

test('<fragcast-player> with player.js as a module: bad options become events, never exceptions, and properties reflect attributes', async (t) => {
  const { server, page, problems } = await demoPage(t);
  const site = await servePage(
    t,
    sitePage(`<script type="module" src="${server.http}/player.js"></script>
<fragcast-player id="live" src="${server.http}/streams/demo" mode="fast" autoplay muted style="width: 480px"></fragcast-player>
<fragcast-player id="nowhere" autoplay muted style="width: 320px"></fragcast-player>`),
  );
  await page.addInitScript({ content: PLAYER_EVENT_LOG });
  await page.goto(site);
  await waitForEvent(page, 'live', 'playing');
  const logged = await events(page);
  const errors = logged.filter((event) => event.type === 'error').map((event) => [event.player, event.detail.details, event.detail.fatal]);
  // Only option errors concern this test; a playing stream may also report a non-fatal stall on a busy machine.
  assert.deepEqual(
    errors.filter(([, details, fatal]) => details === 'invalidOption' || fatal),
    [
      ['live', 'invalidOption', false],
      ['nowhere', 'invalidOption', true],
    ],
  );
  assert.equal(await page.evaluate(() => document.getElementById('live')!.getAttribute('mode')), 'fast');
  assert.equal(await page.evaluate(() => (document.getElementById('live') as FragcastPlayerElement).mode), 'auto', 'the default applies');
  assert.match(await page.locator('#nowhere .message').innerText(), /src is missing/);
  // Properties write their attributes; a bad value is an event, not an exception.
  const outcome = await page.evaluate(() => {
    const player = document.getElementById('live') as FragcastPlayerElement;
    try {
      player.stats = true;
      (player as unknown as { latency: unknown }).latency = 'soon';
      return [player.hasAttribute('stats'), player.getAttribute('latency'), player.latency];
    } catch (error) {
      return String(error);
    }
  });
  assert.deepEqual(outcome, [true, 'soon', undefined]);
  const latest = (await events(page, 'live')).filter((event) => event.type === 'error').at(-1);
  assert.equal(latest?.detail.details, 'invalidOption');
  assert.match(String(latest?.detail.message), /latency="soon" must be a number of seconds/);
  assert.ok(await page.locator('#live .stats').isVisible());
  // The player without a src starts once it is given one.
  const given = await page.evaluate(() => performance.now());
  await page.evaluate((src) => {
    (document.getElementById('nowhere') as FragcastPlayerElement).src = src;
  }, `${server.http}/streams/demo`);
  await waitForEvent(page, 'nowhere', 'playing', given);
  assert.equal(await page.locator('#nowhere .message').isVisible(), false);
  assert.deepEqual(problems, []);
});
