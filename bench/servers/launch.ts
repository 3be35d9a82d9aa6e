import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../../server/package-root.ts';
import { processFigures, type ProcessFigures } from '../proc.ts';
import type { ServerReady, ServerStats } from './ipc.ts';

export const SERVERS = ['fragcast', 'uws-ceiling', 'ws-baseline', 'nms'] as const;
export type ServerName = (typeof SERVERS)[number];

export const SERVER_LABELS: Record<ServerName, string> = {
  fragcast: 'fragcast',
  'uws-ceiling': 'bare uWS publish (ceiling)',
  'ws-baseline': '`ws` library (baseline)',
  nms: 'node-media-server (WS-FLV)',
};

/**
 * The servers now running. When the runner exits, however it ends, it kills
 * them at once rather than leave them to notice: a ceiling busy with the
 * sockets of 8,000 viewers took some 20 s to see its runner gone (its IPC
 * disconnect) after a SIGTERM in the middle of a run. A server killed so
 * takes its ffmpeg along: ffmpeg's next write finds the pipe closed.
 */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** A server under test, in a child process of its own, fed the bench source. */
export class ServerUnderTest {
  readonly name: ServerName;
  readonly ready: ServerReady;
  readonly #child: ChildProcess;

  private constructor(name: ServerName, child: ChildProcess, ready: ServerReady) {
    this.name = name;
    this.#child = child;
    this.ready = ready;
  }

  /** `fanoutThreads`: fragcast's listen.fanout_threads (its argv[3]); the other servers have no such setting. */
  static async start(name: ServerName, mediaPath: string, fanoutThreads = 0): Promise<ServerUnderTest> {
    // Bundled by scripts/build-server.ts, like the fragcast users start: plain node, no TypeScript loader in the figures.
    const script = join(PACKAGE_ROOT, 'build', 'bench', `${name}.mjs`);
    if (!existsSync(script)) throw new Error(`${script} is missing: run "npm run build" (npm run bench does)`);
    const child = fork(script, [mediaPath, String(fanoutThreads)], { execArgv: [], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    running.add(child);
    child.once('exit', () => running.delete(child));
    const ready = await new Promise<ServerReady>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${name} did not start within 20 s`)), 20_000);
      child.once('exit', (code) => reject(new Error(`${name} exited with ${code} before it was ready`)));
      child.on('message', (message: ServerReady) => {
        if (message.type !== 'ready') return;
        clearTimeout(timer);
        resolve(message);
      });
    });
    return new ServerUnderTest(name, child, ready);
  }

  get pid(): number {
    return this.#child.pid!;
  }

  figures(): ProcessFigures {
    return processFigures(this.pid);
  }

  stats(): Promise<ServerStats> {
    return new Promise((resolve) => {
      const onMessage = (message: ServerStats): void => {
        if (message.type !== 'stats') return;
        this.#child.off('message', onMessage);
        resolve(message);
      };
      this.#child.on('message', onMessage);
      this.#child.send({ type: 'stats' });
    });
  }

  stop(): Promise<void> {
    return new Promise((resolve) => {
      if (this.#child.exitCode !== null) return resolve();
      const kill = setTimeout(() => this.#child.kill('SIGKILL'), 3000);
      this.#child.once('exit', () => {
        clearTimeout(kill);
        resolve();
      });
      this.#child.kill('SIGTERM');
    });
  }
}
