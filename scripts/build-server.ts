/**
 * Bundles the server into build/ with esbuild, so that `npm start` runs plain
 * JavaScript on node: no TypeScript loader at run time. Measured on this
 * 2-core machine (`npm start`, the demo stream, 6 s in): 129 MB resident
 * under tsx, 88 MB bundled. Packages stay outside the bundle (node resolves
 * them from node_modules as usual; uWebSockets.js is a native addon, pino
 * loads its transports by name). Not minified: stack traces keep their names.
 *
 * - build/fragcast.mjs: the `fragcast` command (server/main.ts).
 * - build/bench/NAME.mjs: the servers the bench compares (bench/servers/),
 *   built the same way, so that each runs as its users would run it.
 */
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../server/package-root.ts';
import { SERVERS } from '../bench/servers/launch.ts';

const outdir = join(PACKAGE_ROOT, 'build');
rmSync(outdir, { recursive: true, force: true });
const common = {
  absWorkingDir: PACKAGE_ROOT,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  outExtension: { '.js': '.mjs' },
  logLevel: 'warning',
} as const;

await Promise.all([
  // The fan-out threads' code (listen.fanout_threads) runs in worker threads of its own bundle.
  build({ ...common, entryPoints: { fragcast: 'server/main.ts', 'fanout-thread': 'server/http/fanout/thread.ts' }, outdir }),
  build({ ...common, entryPoints: Object.fromEntries(SERVERS.map((name) => [name, `bench/servers/${name}.ts`])), outdir: join(outdir, 'bench') }),
]);
