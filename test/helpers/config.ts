import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { TestContext } from 'node:test';
import { parseConfigText } from '../../server/config/load.ts';
import type { FragcastOptions } from '../../server/fragcast.ts';
import { startTestServer, type TestServer } from './server.ts';

/** A fragcast started from a configuration text (YAML), not watching any file. */
export function startConfiguredServer(t: TestContext, yaml: string, env: NodeJS.ProcessEnv = {}, options: Partial<FragcastOptions> = {}): Promise<TestServer> {
  return startTestServer(t, { config: parseConfigText(yaml, 'test.yaml', env), env, watchConfig: false, ...options });
}

/** The argument vector of a running process, from /proc. */
export function commandLine(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    return [];
  }
}

/**
 * An encoder pushing a file in real time as fragmented MP4 to
 * /ingest/NAME, as an operator would: `ffmpeg … -method PUT`. Killed when
 * the test ends.
 */
export function startPusher(t: TestContext, url: string, input: string, extra: { key?: string; loop?: boolean } = {}): { child: ChildProcess; exited: Promise<number | null> } {
  const child = spawn(
    'ffmpeg',
    [
      '-hide_banner', '-nostdin', '-loglevel', 'error',
      '-re', ...(extra.loop ? ['-stream_loop', '-1'] : []), '-i', input,
      '-c', 'copy', '-f', 'mp4', '-movflags', 'frag_every_frame+empty_moov+default_base_moof',
      ...(extra.key ? ['-headers', `Authorization: Bearer ${extra.key}\r\n`] : []),
      '-method', 'PUT', url,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  child.stderr!.resume();
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  t.after(() => child.kill('SIGKILL'));
  return { child, exited };
}
