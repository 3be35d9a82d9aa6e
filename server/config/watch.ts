import { createHash } from 'node:crypto';
import { readFileSync, watch, type FSWatcher } from 'node:fs';
import { dirname } from 'node:path';

/** Editors write a file in several steps; one reload after they settle. */
const DEBOUNCE_MS = 300;

function contentHash(file: string): string | undefined {
  try {
    return createHash('sha256').update(readFileSync(file)).digest('hex');
  } catch {
    return undefined;
  }
}

/**
 * Calls `onChange` when the content of `file` changes. The directory is
 * watched, not the file: editors and config managers replace the file (a
 * rename, a symlink swap), which a watch on the file itself stops seeing.
 * Every event in the directory is followed by a content check, so touching
 * the file, or a change to a neighbour, reloads nothing.
 */
export function watchConfigFile(file: string, onChange: () => void): { close(): void } {
  let last = contentHash(file);
  let timer: NodeJS.Timeout | undefined;
  const watcher: FSWatcher = watch(dirname(file), { persistent: false }, () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      const now = contentHash(file);
      if (now === undefined || now === last) return;
      last = now;
      onChange();
    }, DEBOUNCE_MS);
  });
  watcher.on('error', () => watcher.close());
  return {
    close() {
      clearTimeout(timer);
      watcher.close();
    },
  };
}
