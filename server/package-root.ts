import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * fragcast's own folder: the nearest one above this module that holds a
 * package.json. The same answer from the TypeScript sources (server/) and
 * from a bundle of them (build/, build/bench/), so paths such as dist/ do not
 * depend on where the running file sits. Without a package.json above, the
 * parent of this file's folder (where build/ sits beside dist/).
 */
export const PACKAGE_ROOT = ((): string => {
  const here = dirname(fileURLToPath(import.meta.url));
  for (let dir = here; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    // Copied without its package.json (build/, dist/ and node_modules/ only): the bundle's folder's parent.
    if (dirname(dir) === dir) return dirname(here);
  }
})();
