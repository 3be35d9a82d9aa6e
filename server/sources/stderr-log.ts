import { closeSync, fstatSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';

export interface StderrLogOptions {
  /** The file, e.g. logs/cam1.log. Its name comes from a validated stream name. */
  readonly path: string;
  /** Rotate when the file would pass this size. */
  readonly maxBytes: number;
  /** Rotated files kept: NAME.log.1 … NAME.log.N (0: the file is just started again). */
  readonly keep: number;
  /** Called once if the file cannot be written; writing then stops. */
  readonly onError: (error: unknown) => void;
}

/**
 * A source's ffmpeg stderr, one timestamped line at a time, in a file
 * rotated at a size cap. Synchronous writes: ffmpeg runs at -loglevel
 * warning, so this is a few lines a minute in normal operation and the
 * simplicity (no interleaving, no lost tail on a crash) is worth a
 * microsecond per line.
 */
export class StderrLog {
  readonly #options: StderrLogOptions;
  #fd: number | undefined;
  #size = 0;
  #failed = false;

  constructor(options: StderrLogOptions) {
    this.#options = options;
  }

  write(line: string): void {
    if (this.#failed) return;
    const text = `${new Date().toISOString()} ${line}\n`;
    try {
      if (this.#fd === undefined) this.#open();
      if (this.#size > 0 && this.#size + Buffer.byteLength(text) > this.#options.maxBytes) this.#rotate();
      this.#size += writeSync(this.#fd!, text);
    } catch (error) {
      this.#failed = true;
      this.close();
      this.#options.onError(error);
    }
  }

  close(): void {
    if (this.#fd === undefined) return;
    closeSync(this.#fd);
    this.#fd = undefined;
  }

  #open(): void {
    this.#fd = openSync(this.#options.path, 'a');
    this.#size = fstatSync(this.#fd).size;
  }

  #rotate(): void {
    this.close();
    const { path, keep } = this.#options;
    if (keep === 0) rmSync(path, { force: true });
    else {
      rmSync(`${path}.${keep}`, { force: true });
      for (let i = keep - 1; i >= 1; i--) renameIfExists(`${path}.${i}`, `${path}.${i + 1}`);
      renameIfExists(path, `${path}.1`);
    }
    this.#open();
  }
}

function renameIfExists(from: string, to: string): void {
  try {
    renameSync(from, to);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

/** Replaces every secret (a password, a key) in a line with "<redacted>". */
export function maskSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) if (secret) out = out.split(secret).join('<redacted>');
  return out;
}
