/**
 * Bundles the client (client/pages/*) into dist/ with esbuild: minified ES
 * modules with source maps. The server serves them from memory. Code
 * splitting puts what only a dynamic import needs (hls.js, for HLS mode)
 * in a chunk of its own, fetched only when used.
 */
import { build } from 'esbuild';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const outdir = `${root}dist`;
mkdirSync(outdir, { recursive: true });
// Chunks are named by content hash: remove the last build's, or dist/ (and the server's memory) would keep them all.
for (const file of readdirSync(outdir)) if (file.startsWith('chunk-')) rmSync(`${outdir}/${file}`);

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
  splitting: true,
  chunkNames: 'chunk-[hash]',
  format: 'esm',
  target: ['chrome100', 'firefox100', 'safari15'],
  minify: true,
  sourcemap: true,
  legalComments: 'none',
  logLevel: 'warning',
});
process.stdout.write(`client built into dist/ in ${Math.round(performance.now() - started)} ms\n`);
