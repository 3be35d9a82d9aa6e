/**
 * Headless Debian Chromium driven by playwright-core. Playwright's own browser
 * downloads cannot work here, so the system binary is required; without it,
 * browser tests fail with a message that says how to install it.
 */
import { existsSync } from 'node:fs';
import type { TestContext } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startTestServer, streamReady, type TestServer } from './server.ts';

export const CHROMIUM = '/usr/bin/chromium';

export const CHROMIUM_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  // Pages start muted, which autoplay allows anyway; this keeps a test from depending on that policy.
  '--autoplay-policy=no-user-gesture-required',
];

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install it with "apt-get install -y chromium" (the README's test command does)`);
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS });
}

export interface DemoPage {
  readonly server: TestServer;
  readonly page: Page;
  /** Page errors and console errors seen so far. */
  readonly problems: string[];
}

/** A fragcast with the demo stream ready, and a Chromium page (not yet navigated); all closed after the test. */
export async function demoPage(t: TestContext): Promise<DemoPage> {
  const server = await startTestServer(t);
  await streamReady(server.registry.get('demo')!);
  const browser = await launchChromium();
  t.after(() => browser.close());
  const page = await browser.newPage();
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`);
  });
  return { server, page, problems };
}
