import { accessSync, constants, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, dirname, join } from 'node:path';
import { FragcastError } from '../errors.ts';

export type FfmpegOrigin = 'config' | 'FFMPEG_PATH' | 'PATH' | '@ffmpeg-installer/ffmpeg';

export interface FfmpegLocation {
  readonly path: string;
  readonly from: FfmpegOrigin;
}

export interface LocateOptions {
  /** ffmpeg path from the configuration or CLI. */
  readonly configured?: string | undefined;
  /** The FFMPEG_PATH environment variable, as read by config/. */
  readonly envPath?: string | undefined;
  /** The PATH environment variable, as read by config/. */
  readonly searchPath?: string | undefined;
  /** Whether to fall back to the npm package @ffmpeg-installer/ffmpeg. Default true. */
  readonly packaged?: boolean;
}

function isExecutableFile(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function fromInstallerPackage(): string | undefined {
  try {
    // Optional dependency: a static ffmpeg inside an npm package, for machines without one.
    const installer = createRequire(import.meta.url)('@ffmpeg-installer/ffmpeg') as { path?: string };
    return installer.path && isExecutableFile(installer.path) ? installer.path : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Finds ffmpeg, in this order: the configured path, FFMPEG_PATH, `ffmpeg` on
 * PATH, then the optional npm dependency @ffmpeg-installer/ffmpeg. An
 * explicitly given path that is not executable is an error rather than a
 * silent fall-through: the operator asked for that binary.
 */
export function locateFfmpeg(options: LocateOptions): FfmpegLocation {
  const explicit: [string | undefined, FfmpegOrigin][] = [
    [options.configured, 'config'],
    [options.envPath, 'FFMPEG_PATH'],
  ];
  for (const [path, from] of explicit) {
    if (!path) continue;
    if (!isExecutableFile(path)) throw new FragcastError('FFMPEG_PATH_INVALID', { path, from });
    return { path, from };
  }
  for (const dir of (options.searchPath ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, 'ffmpeg');
    if (isExecutableFile(candidate)) return { path: candidate, from: 'PATH' };
  }
  const packaged = options.packaged === false ? undefined : fromInstallerPackage();
  if (packaged) return { path: packaged, from: '@ffmpeg-installer/ffmpeg' };
  throw new FragcastError('FFMPEG_NOT_FOUND');
}

/**
 * Finds ffprobe for `codecs: auto`: the configured path (which must be
 * executable), else beside the ffmpeg in use (a matching build), else on
 * PATH. Undefined when there is none: auto then transcodes.
 */
export function locateFfprobe(ffmpegPath: string, options: { configured?: string | undefined; searchPath?: string | undefined }): string | undefined {
  if (options.configured) {
    if (!isExecutableFile(options.configured)) throw new FragcastError('FFMPEG_PATH_INVALID', { path: options.configured, from: 'config ffmpeg.ffprobe_path' });
    return options.configured;
  }
  const candidates = [join(dirname(ffmpegPath), 'ffprobe'), ...(options.searchPath ?? '').split(delimiter).filter(Boolean).map((dir) => join(dir, 'ffprobe'))];
  return candidates.find(isExecutableFile);
}
