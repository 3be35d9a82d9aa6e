/**
 * Test media made by real ffmpeg, cached in .cache/fixtures (git-ignored):
 * nothing binary is committed, and a fresh clone makes its own in a second.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { FMP4_STDOUT_ARGS } from '../../server/sources/ffmpeg-args.ts';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DIR = `${ROOT}.cache/fixtures`;

const VIDEO = ['-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=30'];
const AUDIO = ['-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000'];
const H264 = ['-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-g', '30', '-keyint_min', '30', '-sc_threshold', '0', '-pix_fmt', 'yuv420p'];
const AAC = ['-c:a', 'aac', '-b:a', '64k'];

/** Fixture name → ffmpeg input and codec arguments (the fMP4 muxer arguments are fragcast's own). */
const RECIPES = {
  /** 2 s of H.264 + AAC, 1 s GOPs, one fragment per frame, prft boxes: what the demo source makes. */
  'av.mp4': [...VIDEO, ...AUDIO, '-t', '2', ...H264, ...AAC],
  'video-only.mp4': [...VIDEO, '-t', '2', ...H264],
  'audio-only.mp4': [...AUDIO, '-t', '2', ...AAC],
} as const;

export type FixtureName = keyof typeof RECIPES;

export function fixturePath(name: FixtureName): string {
  const path = `${DIR}/${name}`;
  if (!existsSync(path)) {
    mkdirSync(DIR, { recursive: true });
    const partial = `${path}.${process.pid}.part`;
    const args = ['-hide_banner', '-nostdin', '-loglevel', 'error', ...RECIPES[name], ...FMP4_STDOUT_ARGS.slice(0, -1), '-y', partial];
    execFileSync('ffmpeg', args, { stdio: ['ignore', 'ignore', 'inherit'], timeout: 30_000 });
    // Atomic: test files run in parallel processes may race to make the same fixture.
    renameSync(partial, path);
  }
  return path;
}

export function fixture(name: FixtureName): Buffer {
  return readFileSync(fixturePath(name));
}

/**
 * A plain (not fragmented) 320×240 H.264 file for sources that loop a file
 * with `-c copy`. Video only: ffmpeg 5.1's fragmenter warns on every audio
 * packet when it remuxes looped AAC one fragment per frame.
 */
export function loopSourcePath(): string {
  const path = `${DIR}/loop-source.mp4`;
  if (!existsSync(path)) {
    mkdirSync(DIR, { recursive: true });
    const partial = `${path}.${process.pid}.part.mp4`;
    execFileSync('ffmpeg', ['-hide_banner', '-nostdin', '-loglevel', 'error', ...VIDEO, '-t', '2', ...H264, '-b:v', '1500k', '-y', partial], {
      stdio: ['ignore', 'ignore', 'inherit'],
      timeout: 30_000,
    });
    renameSync(partial, path);
  }
  return path;
}
