import type { Page } from 'playwright-core';
import { launchChromium } from '../test/helpers/browser.ts';
import { ServerUnderTest } from './servers/launch.ts';

/** fragcast with the bench source, and a headless Chromium to look at it; both closed by `close()`. */
export async function fragcastInChromium(mediaPath: string, fanoutThreads = 0): Promise<{ server: ServerUnderTest; newPage: () => Promise<Page>; close: () => Promise<void> }> {
  const server = await ServerUnderTest.start('fragcast', mediaPath, fanoutThreads);
  const browser = await launchChromium();
  await new Promise((resolve) => setTimeout(resolve, 1500)); // the first GOP
  return {
    server,
    // A fresh context per page: no cached bundle, no warm connection, as for a first visit.
    newPage: async () => (await browser.newContext()).newPage(),
    close: async () => {
      await browser.close();
      await server.stop();
    },
  };
}

export function percentile(values: readonly number[], p: number): number | undefined {
  if (!values.length) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))];
}
