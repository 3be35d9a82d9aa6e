import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { test } from 'node:test';
import { listenAddress, parseCli } from '../config/cli.ts';
import { FragcastError } from '../errors.ts';
import { verifyLink } from '../http/signed-links.ts';
import { locateFfmpeg } from '../sources/ffmpeg-locate.ts';
import { ROOT } from '../../test/helpers/fixtures.ts';
import { waitFor } from '../../test/helpers/server.ts';
import { WsViewer } from '../../test/helpers/ws-viewer.ts';
import { CloseCodes } from '../protocol.ts';

test('parses flags and the environment, with defaults', () => {
  const defaults = parseCli([], {});
  assert.equal(defaults.command, 'serve');
  assert.deepEqual(listenAddress(defaults, {}), { host: '127.0.0.1', port: 8080 });
  assert.equal(defaults.logLevel, undefined, 'the configuration decides unless the flag is given');
  assert.ok(Object.isFrozen(defaults));
  assert.equal(listenAddress(parseCli([], { PORT: '9000' }), {}).port, 9000);
  assert.equal(listenAddress(parseCli(['--port', '0'], { PORT: '9000' }), {}).port, 0, 'the flag wins over PORT');
  assert.equal(listenAddress(parseCli([], { PORT: '9000' }), { port: 7000 }).port, 7000, 'the file wins over PORT');
  assert.deepEqual(listenAddress(parseCli(['--host', '::1', '--port', '1'], {}), { host: '0.0.0.0', port: 7000 }), { host: '::1', port: 1 }, 'flags win over the file');
  assert.equal(parseCli([], { FFMPEG_PATH: '/opt/ffmpeg' }).ffmpegEnvPath, '/opt/ffmpeg');
  assert.equal(parseCli(['--allow-uws-fallback'], {}).allowUwsFallback, true);
  const check = parseCli(['check-config', 'fragcast.yaml', '--json'], {});
  assert.equal(check.command, 'check-config');
  assert.equal(check.config, 'fragcast.yaml');
  assert.equal(check.json, true);
});

test('rejects bad flags with a message naming the option', () => {
  const rejects = (argv: string[], env: NodeJS.ProcessEnv, pattern: RegExp): void =>
    assert.throws(() => parseCli(argv, env), (e: unknown) => e instanceof FragcastError && e.code === 'INVALID_ARGUMENT' && pattern.test(e.message));
  rejects(['--port', '80a'], {}, /--port must be a whole number from 0 to 65535, got "80a"/);
  rejects(['--port', '70000'], {}, /--port must be/);
  rejects([], { PORT: 'x' }, /PORT must be/);
  rejects(['--log-level', 'loud'], {}, /--log-level must be one of/);
  rejects(['--frobnicate'], {}, /Unknown option '--frobnicate'/);
  rejects(['frobnicate'], {}, /unknown command "frobnicate"/);
  rejects(['check-config'], {}, /usage: fragcast check-config FILE/);
});

test('finds ffmpeg in order, and names all three ways when there is none', () => {
  assert.throws(() => locateFfmpeg({ envPath: '/nonexistent/ffmpeg' }), /ffmpeg path "\/nonexistent\/ffmpeg" \(FFMPEG_PATH\) is not an executable file/);
  assert.deepEqual(locateFfmpeg({ searchPath: '/nonexistent:/usr/bin' }), { path: '/usr/bin/ffmpeg', from: 'PATH' });
  assert.equal(locateFfmpeg({ searchPath: '/nonexistent' }).from, '@ffmpeg-installer/ffmpeg');
  assert.throws(
    () => locateFfmpeg({ searchPath: '/nonexistent', packaged: false }),
    (e: unknown) => e instanceof FragcastError && e.code === 'FFMPEG_NOT_FOUND' && /FFMPEG_PATH/.test(e.message) && /PATH/.test(e.message) && /@ffmpeg-installer\/ffmpeg/.test(e.message),
  );
});

/** Direct children of a process, from /proc. */
function childrenOf(pid: number): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .filter((name) => {
      try {
        // Field 4 of /proc/PID/stat is the parent pid; the command name (field 2) may contain spaces, so split after ')'.
        return Number(readFileSync(`/proc/${name}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]) === pid;
      } catch {
        return false;
      }
    })
    .map(Number);
}

function commandOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0]!;
  } catch {
    return '';
  }
}

async function startCli(): Promise<{ child: ChildProcess; port: number; ffmpegPid: number; exited: Promise<number | null> }> {
  const child = spawn(process.execPath, ['build/fragcast.mjs', '--port', '0', '--log-level', 'warn'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let stdout = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.resume();
  const port = Number((await waitFor('the address to be printed', () => /Open http:\/\/127\.0\.0\.1:(\d+)\//.exec(stdout), 10_000))[1]);
  const ffmpegPid = await waitFor('ffmpeg to run', () => childrenOf(child.pid!).find((pid) => commandOf(pid).endsWith('ffmpeg')), 5000);
  return { child, port, ffmpegPid, exited };
}

test('fragcast prints where to look; SIGTERM stops it with exit 0 within 2 s, tells viewers "going away" and ends ffmpeg', async (t) => {
  const { child, port, ffmpegPid, exited } = await startCli();
  t.after(() => child.kill('SIGKILL'));
  const page = await fetch(`http://127.0.0.1:${port}/`);
  assert.equal(page.status, 200);
  assert.match(await page.text(), /demo/);
  const viewer = new WsViewer(`ws://127.0.0.1:${port}/streams/demo/ws`);
  await viewer.opened;
  const stoppedAt = performance.now();
  child.kill('SIGTERM');
  assert.equal(await viewer.closed, CloseCodes.GOING_AWAY);
  assert.equal(viewer.closeReason, 'Server is shutting down');
  assert.equal(await exited, 0);
  const seconds = (performance.now() - stoppedAt) / 1000;
  assert.ok(seconds < 2, `took ${seconds} s`);
  assert.equal(existsSync(`/proc/${ffmpegPid}`), false, 'no orphan ffmpeg');
});

test('even a SIGKILLed server leaves no ffmpeg behind', async (t) => {
  const { child, ffmpegPid, exited } = await startCli();
  t.after(() => child.kill('SIGKILL'));
  child.kill('SIGKILL');
  await exited;
  await waitFor('ffmpeg to die with its parent', () => !existsSync(`/proc/${ffmpegPid}`), 2000);
});

test('a bad flag exits 1 with a clear message', async () => {
  const child = spawn(process.execPath, ['build/fragcast.mjs', '--port', 'eighty'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise((resolve) => child.once('exit', resolve));
  assert.equal(code, 1);
  assert.match(stderr, /INVALID_ARGUMENT: --port must be a whole number from 0 to 65535, got "eighty"/);
});

test('refuses to start on the uWebSockets.js JavaScript fallback unless allowed', async () => {
  const run = (extra: string[]): Promise<{ code: number | null; stderr: string; stdout: string; child: ChildProcess }> =>
    new Promise((resolve) => {
      const child = spawn(process.execPath, ['build/fragcast.mjs', '--port', '0', '--log-level', 'warn', ...extra], {
        cwd: ROOT,
        env: { ...process.env, UWS_USE_FALLBACK: '1' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      let stdout = '';
      child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.stdout!.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        // Started: that is all this test needs to know.
        if (/fragcast is running/.test(stdout)) child.kill('SIGTERM');
      });
      child.once('exit', (code) => resolve({ code, stderr, stdout, child }));
    });
  const refused = await run([]);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /UWS_NATIVE_UNAVAILABLE: .*--allow-uws-fallback/);
  const allowed = await run(['--allow-uws-fallback']);
  assert.match(allowed.stdout, /fragcast is running/);
  assert.match(allowed.stdout, /uWebSockets\.js JavaScript fallback/);
});

/** Runs the CLI to its end; for commands that exit by themselves. */
function runCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['build/fragcast.mjs', ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

test('check-config prints the resolved configuration with secrets redacted, or every problem and exit 1; --config refuses a bad file', async (t) => {
  const dir = mkdtempSync(`${tmpdir()}/fragcast-cli-`);
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(`${dir}/good.yaml`, 'streams:\n  cam: { source: { kind: ffmpeg, input: "rtsp://u:${env:CAM_PW}@10.0.0.1/s" } }\n');
  writeFileSync(`${dir}/bad.yaml`, 'listen: { port: -1 }\nstreams:\n  cam: { source: { kind: ffmpeg } }\n');
  const good = await runCli(['check-config', `${dir}/good.yaml`], { CAM_PW: 'sekrit-pw' });
  assert.equal(good.code, 0, good.stderr);
  assert.match(good.stdout, /valid \(1 streams\)/);
  assert.match(good.stdout, /input: rtsp:\/\/u:\$\{env:CAM_PW\}@10\.0\.0\.1\/s/);
  assert.doesNotMatch(good.stdout, /sekrit-pw/);
  const json = await runCli(['check-config', `${dir}/good.yaml`, '--json'], { CAM_PW: 'sekrit-pw' });
  assert.equal((JSON.parse(json.stdout) as { streams: { cam: { source: { realtime: boolean } } } }).streams.cam.source.realtime, false);

  const expected = /CONFIG_INVALID: .*\(2 problems\):\n {2}listen\.port: must be at least 0, got -1\n {2}streams\.cam\.source\.input: is required/;
  const bad = await runCli(['check-config', `${dir}/bad.yaml`]);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, expected);
  const refused = await runCli(['--config', `${dir}/bad.yaml`, '--port', '0']);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, expected);
  const missing = await runCli(['--config', `${dir}/none.yaml`]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /CONFIG_UNREADABLE: Configuration file .*none\.yaml cannot be read: ENOENT/);
});

test('SIGHUP reloads the configuration file', async (t) => {
  const dir = mkdtempSync(`${tmpdir()}/fragcast-cli-`);
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = `${dir}/fragcast.yaml`;
  writeFileSync(file, 'streams: {}\n');
  const child = spawn(process.execPath, ['build/fragcast.mjs', '--config', file, '--port', '0'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => child.kill('SIGKILL'));
  let stdout = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.resume();
  const port = Number((await waitFor('the address', () => /Open http:\/\/127\.0\.0\.1:(\d+)\//.exec(stdout), 10_000))[1]);
  writeFileSync(file, 'streams:\n  later: { source: { kind: push, key: "a-long-enough-key" } }\n');
  child.kill('SIGHUP');
  await waitFor('the reload to be logged', () => /"trigger":"SIGHUP".*"added":\["later"\].*configuration reloaded/.test(stdout), 5000);
  const streams = (await (await fetch(`http://127.0.0.1:${port}/api/streams`)).json()) as { streams: { name: string }[] };
  assert.deepEqual(streams.streams.map((s) => s.name), ['later']);
  child.kill('SIGTERM');
  assert.equal(await new Promise((resolve) => child.once('exit', resolve)), 0);
});

test('fragcast sign prints a working signed link (the file\'s links.secret, or FRAGCAST_LINK_SECRET); bad arguments are refused', async (t) => {
  const dir = mkdtempSync(`${tmpdir()}/fragcast-cli-`);
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const secret = 'file-link-secret-0123';
  writeFileSync(`${dir}/f.yaml`, `listen: { port: 18123 }\nlinks: { secret: ${secret}, max_ttl: 2h }\nstreams:\n  cam: { source: { kind: push, key: push-key-0123 }, access: signed }\n`);
  const started = Math.floor(Date.now() / 1000);
  const text = await runCli(['sign', 'cam', '--ttl', '30m', '--config', `${dir}/f.yaml`]);
  assert.equal(text.code, 0, text.stderr);
  const [query, , ...lines] = text.stdout.trim().split('\n');
  const params = new URLSearchParams(query);
  const exp = Number(params.get('exp'));
  assert.ok(exp >= started + 1800 && exp <= started + 1805, `exp ${exp}`);
  assert.deepEqual(verifyLink(secret, 'cam', params.get('exp'), params.get('sig'), '203.0.113.1', Date.now()), { ok: true });
  assert.ok(lines.some((line) => line === `mp4      http://127.0.0.1:18123/streams/cam/live.mp4?${query}`), lines.join('\n'));
  assert.ok(lines.some((line) => line.startsWith('ws       ws://127.0.0.1:18123/streams/cam/ws?')));

  const bound = JSON.parse((await runCli(['sign', 'cam', '--ip', '198.51.100.7', '--json', '--base', 'https://tv.example'], { FRAGCAST_LINK_SECRET: 'env-link-secret-0123' })).stdout) as { query: string; ip: string; links: { hls: string } };
  assert.equal(bound.ip, '198.51.100.7');
  assert.match(bound.links.hls, /^https:\/\/tv\.example\/streams\/cam\/index\.m3u8\?exp=\d+&sig=/);
  const p = new URLSearchParams(bound.query);
  assert.deepEqual(verifyLink('env-link-secret-0123', 'cam', p.get('exp'), p.get('sig'), '198.51.100.7', Date.now()), { ok: true });
  assert.deepEqual(verifyLink('env-link-secret-0123', 'cam', p.get('exp'), p.get('sig'), '198.51.100.8', Date.now()), { ok: false, reason: 'invalid' });

  for (const [args, env, pattern] of [
    [['sign', 'cam'], { FRAGCAST_LINK_SECRET: '' }, /no secret to sign with/],
    [['sign', 'cam', '--ttl', '3h', '--config', `${dir}/f.yaml`], {}, /longer than links\.max_ttl/],
    [['sign', 'nope', '--config', `${dir}/f.yaml`], {}, /has no stream "nope"/],
    [['sign', 'Cam!'], {}, /is not a stream name/],
    [['sign', 'cam', '--ttl', 'soon'], {}, /--ttl must be a duration/],
    [['sign', 'cam', '--ip', '300.1.1.1'], {}, /--ip must be an IPv4 or IPv6 address/],
    [['--ttl', '1h'], {}, /belong to the sign command/],
  ] as const) {
    const result = await runCli([...args], { ...env });
    assert.equal(result.code, 1, `${args.join(' ')}: ${result.stdout}`);
    assert.match(result.stderr, pattern, args.join(' '));
  }
});

test('the CLI refuses to listen beyond loopback without an admin token, and says how to give one', async () => {
  const refused = await runCli(['--host', '0.0.0.0', '--port', '0'], { FRAGCAST_ADMIN_TOKEN: '' });
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /ADMIN_TOKEN_REQUIRED: Listening on 0\.0\.0\.0, which is not a loopback address.*FRAGCAST_ADMIN_TOKEN.*--allow-insecure-admin/);
});
