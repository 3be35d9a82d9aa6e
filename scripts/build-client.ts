/**
 * Bundles the client into dist/ with esbuild, minified, with source maps:
 * - the pages (client/pages/*) and `player.js` (client/widget/player.ts, the
 *   `<fragcast-player>` element) as ES modules with code splitting. What they
 *   share, and what only a dynamic import needs (hls.js, for HLS mode), goes
 *   into content-hashed chunks (`chunk-HASH.js`), which the server marks
 *   immutable; the entries keep stable names. Chunks are imported by
 *   absolute path (`/assets/chunk-HASH.js`), so `player.js` can be served at
 *   the root for the one-line embed and still find them.
 * - `embed.js` (client/widget/embed.ts) as a classic script: it must run from
 *   a plain `<script async>` and stay tiny; it loads player.js itself.
 * The server serves dist/ from memory (server/http/assets.ts).
 */
import { build, type BuildOptions } from 'esbuild';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';

/** Smaller files go as they are: gzip would save less than a packet. */
const GZIP_MIN_BYTES = 1024;

const root = fileURLToPath(new URL('..', import.meta.url));
const outdir = `${root}dist`;
// The last build goes first: chunks are named by content hash, and an entry that is no longer built would stay
// behind; either way dist/ (and the server's memory, which serves every file in it) would keep them.
rmSync(outdir, { recursive: true, force: true });
mkdirSync(outdir);

const common: BuildOptions = {
  absWorkingDir: root,
  outdir,
  bundle: true,
  target: ['chrome100', 'firefox100', 'safari15'],
  minify: true,
  sourcemap: true,
  legalComments: 'none',
  logLevel: 'warning',
  // Chunks and source maps by absolute path: player.js is also served at the root, for the one-line embed.
  publicPath: '/assets/',
};

const started = performance.now();
await Promise.all([
  build({
    ...common,
    entryPoints: {
      'player-page': 'client/pages/player-page.ts',
      'home-page': 'client/pages/home-page.ts',
      'stats-page': 'client/pages/stats-page.ts',
      player: 'client/widget/player.ts',
    },
    splitting: true,
    chunkNames: 'chunk-[hash]',
    format: 'esm',
  }),
  build({ ...common, entryPoints: { embed: 'client/widget/embed.ts' }, format: 'iife' }),
]);
// Gzipped once here, not per request nor per server start: hls.js shrinks from 370 to about 115 kB.
for (const file of readdirSync(outdir)) {
  const body = readFileSync(`${outdir}/${file}`);
  if (body.length < GZIP_MIN_BYTES) continue;
  const gzip = gzipSync(body, { level: 9 });
  if (gzip.length < body.length) writeFileSync(`${outdir}/${file}.gz`, gzip);
}
const embed = readFileSync(`${outdir}/embed.js`);
process.stdout.write(`client built into dist/ in ${Math.round(performance.now() - started)} ms (embed.js: ${embed.length} bytes, ${gzipSync(embed).length} gzipped)\n`);
