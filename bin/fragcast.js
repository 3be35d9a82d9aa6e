#!/usr/bin/env node
// The `fragcast` command: the bundled server (npm run build writes build/fragcast.mjs), run by plain node.
import { existsSync } from 'node:fs';

const bundle = new URL('../build/fragcast.mjs', import.meta.url);
if (!existsSync(bundle)) {
  process.stderr.write('fragcast: build/fragcast.mjs is missing: run "npm run build" (npm start does)\n');
  process.exit(1);
}
await import(bundle.href);
