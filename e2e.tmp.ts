import { chromium } from 'playwright-core';
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox','--disable-gpu','--disable-background-networking','--disable-component-update','--disable-sync','--no-first-run','--autoplay-policy=no-user-gesture-required'] });
const page = await browser.newPage();
page.on('console', (m) => console.log('console:', m.type(), m.text()));
page.on('pageerror', (e) => console.log('pageerror:', e.message));
const t0 = Date.now();
await page.goto('http://127.0.0.1:18080/streams/demo');
for (let i = 0; i < 8; i++) {
  await page.waitForTimeout(1000);
  const s = await page.evaluate(() => ({ t: (document.getElementById('video') as HTMLVideoElement).currentTime, rs: (document.getElementById('video') as HTMLVideoElement).readyState, stats: (window as any).fragcastStats, status: document.getElementById('status')!.textContent }));
  console.log(Date.now() - t0, JSON.stringify(s));
}
await page.screenshot({ path: '/tmp/player.png' });
await browser.close();
