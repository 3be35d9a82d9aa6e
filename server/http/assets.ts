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

/** A static ES import of a sibling asset as esbuild writes it (`import{a as b}from"/assets/chunk-X.js"`, `import"/assets/…"`); not `import(…)`. */
const STATIC_IMPORT = /\bimport\s*(?:[\w$\s{},*]+?\s*from\s*)?["']\/assets\/([\w.-]+\.js)["']/g;

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
  /** modulePreloads() per entry: the files never change while the server runs. */
  readonly #preloads = new Map<string, readonly string[]>();
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

  /**
   * The chunks `entry` imports statically, directly or through another
   * chunk: a page names them in `<link rel="modulepreload">` so the browser
   * fetches them beside the entry, not one round trip after it (measured on
   * the player page in headless Chromium: without it, the chunks were asked
   * for 10-40 ms after the page script had arrived). Dynamic imports (hls.js) are left to load on demand.
   */
  modulePreloads(entry: string): readonly string[] {
    const known = this.#preloads.get(entry);
    if (known) return known;
    const found = new Set<string>();
    const visit = (name: string): void => {
      const asset = this.#files.get(name);
      if (!asset || !name.endsWith('.js')) return;
      for (const match of asset.body.toString('latin1').matchAll(STATIC_IMPORT)) {
        const chunk = match[1]!;
        if (found.has(chunk)) continue;
        found.add(chunk);
        visit(chunk);
      }
    };
    visit(entry);
    const preloads = Object.freeze([...found]);
    this.#preloads.set(entry, preloads);
    return preloads;
  }

  get(name: string): Asset | undefined {
    return this.#files.get(name);
  }

  get size(): number {
    return this.#files.size;
  }
}
