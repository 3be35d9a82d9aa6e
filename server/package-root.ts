import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * fragcast's own folder: the nearest one above this module that holds a
 * package.json. The same answer from the TypeScript sources (server/) and
 * from a bundle of them (build/, build/bench/), so paths such as dist/ do not
 * depend on where the running file sits.
 */
export const PACKAGE_ROOT = ((): string => {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error(`no package.json above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
  return dir;
})();
