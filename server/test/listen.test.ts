import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { test } from 'node:test';
import { ROOT } from '../../test/helpers/fixtures.ts';
import { waitFor } from '../../test/helpers/server.ts';

test('a second fragcast on a port already served exits with LISTEN_FAILED instead of sharing it (uSockets binds with SO_REUSEPORT)', async (t) => {
  const port = await new Promise<number>((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port: free } = probe.address() as { port: number };
      probe.close(() => resolve(free));
    });
  });
  const first = spawn(process.execPath, ['build/fragcast.mjs', '--port', String(port), '--log-level', 'error'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => first.kill('SIGKILL'));
  let firstOut = '';
  first.stdout!.on('data', (chunk: Buffer) => (firstOut += chunk.toString()));
  await waitFor('the first to listen', () => firstOut.includes(`:${port}/`), 15_000);
  const second = spawn(process.execPath, ['build/fragcast.mjs', '--port', String(port), '--log-level', 'error'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => second.kill('SIGKILL'));
  let secondErr = '';
  second.stderr!.on('data', (chunk: Buffer) => (secondErr += chunk.toString()));
  const code = await Promise.race([new Promise((resolve) => second.once('exit', resolve)), new Promise((resolve) => setTimeout(() => resolve('still running after 10 s'), 10_000))]);
  assert.equal(code, 1);
  assert.match(secondErr, /LISTEN_FAILED: Could not listen on 127\.0\.0\.1:\d+/);
  assert.equal((await fetch(`http://127.0.0.1:${port}/healthz`)).status, 200, 'the first still serves');
});
