import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { accessSync, constants } from 'node:fs';

/**
 * Spawns child processes that cannot outlive fragcast.
 *
 * Three layers, because each covers a way the server can end:
 * - close() paths kill children on SIGINT/SIGTERM (the owner does that);
 * - a process 'exit' hook SIGKILLs whatever is left on any exit, including
 *   an uncaught exception;
 * - on Linux, `setpriv --pdeathsig KILL` makes the kernel kill the child when
 *   fragcast dies without running any JS at all (SIGKILL, OOM killer).
 * ffmpeg writing to a closed stdout pipe would also die of SIGPIPE, but a
 * child stalled on its input writes nothing, so that alone is not enough.
 */

const live = new Set<ChildProcess>();

const SETPRIV = '/usr/bin/setpriv';
const hasSetpriv = (() => {
  if (process.platform !== 'linux') return false;
  try {
    accessSync(SETPRIV, constants.X_OK);
    return true;
  } catch {
    return false;
  }
})();

process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/** Spawns `command args` (never through a shell) so that it dies with this process. */
export function spawnReaped(command: string, args: readonly string[], options: SpawnOptions = {}): ChildProcess {
  const [file, argv] = hasSetpriv ? [SETPRIV, ['--pdeathsig', 'KILL', '--', command, ...args]] : [command, [...args]];
  const child = spawn(file, argv, { ...options, shell: false });
  live.add(child);
  child.once('exit', () => live.delete(child));
  // A spawn failure (ENOENT) emits 'error' without 'exit'.
  child.once('error', () => live.delete(child));
  return child;
}

/** Children spawned by spawnReaped that have not exited yet. */
export function liveChildren(): number {
  return live.size;
}
