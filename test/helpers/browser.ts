/**
 * Headless Debian Chromium driven by playwright-core. Playwright's own browser
 * downloads cannot work here, so the system binary is required; without it,
 * browser tests fail with a message that says how to install it.
 */
import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
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

/**
 * Serves `html` at `/` from a second HTTP server on loopback: a page on
 * another origin than fragcast (another port), as a site that embeds a
 * stream. Closed after the test. Returns the page's URL.
 */
export async function servePage(t: TestContext, html: string): Promise<string> {
  const server = createServer((req, res) => {
    if (req.url !== '/') {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(html);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  server.unref();
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
}

/**
 * What a proxy that refuses WebSocket upgrades looks like to a page: every
 * connection closes (1006) before it opens. A string, not a function: the
 * test runner's transform would add helpers the page does not have.
 */
export const BLOCKED_WEBSOCKET = `
  window.WebSocket = class BlockedWebSocket extends EventTarget {
    static OPEN = 1;
    readyState = 0;
    binaryType = 'blob';
    onopen = null;
    onmessage = null;
    onclose = null;
    constructor() {
      super();
      setTimeout(() => {
        this.readyState = 3;
        if (this.onclose) this.onclose({ code: 1006, reason: '' });
      }, 20);
    }
    send() {}
    close() {}
  };
`;

/** One event a `<fragcast-player>` dispatched, as PLAYER_EVENT_LOG records it. */
export interface LoggedPlayerEvent {
  /** Which player: its id, else its position among the page's players. */
  readonly player: string;
  readonly type: string;
  readonly detail: Record<string, unknown>;
  /** performance.now() in the page. */
  readonly at: number;
}

/**
 * An init script that records every event of every `<fragcast-player>` on
 * the page (but the per-frame `frame`) in `window.playerEvents`, from the
 * moment the element exists, before player.js has even loaded.
 */
export const PLAYER_EVENT_LOG = `
  window.playerEvents = [];
  const TYPES = ['ready', 'playing', 'stalled', 'latency', 'marker', 'error', 'mode', 'generation', 'live'];
  const watched = new WeakSet();
  const watch = (element) => {
    if (watched.has(element)) return;
    watched.add(element);
    const player = element.id || String(document.querySelectorAll('fragcast-player').length - 1);
    for (const type of TYPES) {
      element.addEventListener(type, (event) => {
        window.playerEvents.push({ player, type, detail: JSON.parse(JSON.stringify(event.detail ?? {})), at: performance.now() });
      });
    }
  };
  new MutationObserver(() => document.querySelectorAll('fragcast-player').forEach(watch)).observe(document, { childList: true, subtree: true });
`;
