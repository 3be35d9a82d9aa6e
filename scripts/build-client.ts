/**
 * Bundles the client (client/pages/*) into dist/ with esbuild: minified ES
 * modules with source maps. The server serves them from memory.
 */
import { build } from 'esbuild';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const outdir = `${root}dist`;
mkdirSync(outdir, { recursive: true });

const started = performance.now();
await build({
  absWorkingDir: root,
  entryPoints: {
    'player-page': 'client/pages/player-page.ts',
    'home-page': 'client/pages/home-page.ts',
    'stats-page': 'client/pages/stats-page.ts',
  },
  outdir,
  bundle: true,
  format: 'esm',
  target: ['chrome100', 'firefox100', 'safari15'],
  minify: true,
  sourcemap: true,
  legalComments: 'none',
  logLevel: 'warning',
});
process.stdout.write(`client built into dist/ in ${Math.round(performance.now() - started)} ms\n`);
