import assert from 'node:assert/strict';
import { test } from 'node:test';
import { signLink } from '../../server/http/signed-links.ts';
import { launchChromium } from '../helpers/browser.ts';
import { startConfiguredServer } from '../helpers/config.ts';
import { addLoopStream, streamReady } from '../helpers/server.ts';

const SECRET = 'e2e-link-secret-0123';

test('a signed link opens the player page, which hands the link on: it plays over WebSocket and LL-HLS, markers load; without the link nothing plays', async (t) => {
  const server = await startConfiguredServer(t, `defaults: { access: signed }\nlinks: { secret: ${SECRET} }\nstreams: {}\n`);
  const stream = addLoopStream(server, 'cam');
  await streamReady(stream);
  const browser = await launchChromium();
  t.after(() => browser.close());
  const { query } = signLink(SECRET, 'cam', Math.floor(Date.now() / 1000) + 600);

  for (const mode of ['ws', 'hls']) {
    const page = await browser.newPage();
    const failed: string[] = [];
    page.on('response', (response) => void (response.status() >= 400 && failed.push(`${response.status()} ${response.url()}`)));
    await page.goto(`${server.http}/streams/cam?${query}&mode=${mode}`);
    const advanced = await page.evaluate(async () => {
      // The player page is built from the same <fragcast-player> element sites embed.
      const video = document.querySelector('fragcast-player')!.video;
      const deadline = Date.now() + 10_000;
      while (video.currentTime === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
      const start = video.currentTime;
      await new Promise((resolve) => setTimeout(resolve, 2000));
      return start > 0 ? video.currentTime - start : 0;
    });
    assert.ok(advanced >= 1.2, `${mode}: currentTime advanced ${advanced.toFixed(2)} s in 2 s`);
    assert.deepEqual(failed, [], `${mode}: every request of the page carried the link`);
    await page.close();
  }

  const stranger = await browser.newPage();
  const response = await stranger.goto(`${server.http}/streams/cam`);
  assert.equal(response?.status(), 401);
  assert.match(await stranger.content(), /ACCESS_CREDENTIALS_MISSING/);
  assert.equal(server.viewers.size, 0);
});
