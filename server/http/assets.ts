import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.html': 'text/html; charset=utf-8',
};

export interface Asset {
  readonly body: Buffer;
  /** The body gzipped by the build (`NAME.gz` in dist/), for clients that accept it. */
  readonly gzip: Buffer | undefined;
  readonly type: string;
  readonly etag: string;
  /** Named by its content hash (`chunk-HASH.js`, and its map): the name never serves other bytes. */
  readonly immutable: boolean;
}

/**
 * The client bundles (built by scripts/build-client.ts into dist/), read
 * into memory once at startup: every byte a page needs comes from fragcast
 * itself, with no CDN and no disk read per request.
 */
export class Assets {
  readonly #files = new Map<string, Asset>();
  readonly dir: string;

  constructor(dir: string) {
    this.dir = dir;
    if (!existsSync(dir)) return;
    for (const name of readdirSync(dir)) {
      const type = TYPES[extname(name)];
      if (!type) continue;
      const body = readFileSync(join(dir, name));
      const etag = `"${createHash('sha1').update(body).digest('base64url').slice(0, 16)}"`;
      const gzipped = join(dir, `${name}.gz`);
      const gzip = existsSync(gzipped) ? readFileSync(gzipped) : undefined;
      this.#files.set(name, { body, gzip, type, etag, immutable: name.startsWith('chunk-') });
    }
  }

  get(name: string): Asset | undefined {
    return this.#files.get(name);
  }

  get size(): number {
    return this.#files.size;
  }
}
