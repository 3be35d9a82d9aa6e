import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { test } from 'node:test';
import { runAttack } from '../../test/attack/attack.ts';
import { loopSourcePath, ROOT } from '../../test/helpers/fixtures.ts';
import { waitFor } from '../../test/helpers/server.ts';
import { WsViewer } from '../../test/helpers/ws-viewer.ts';

const ADMIN = 'attack-admin-token-0123';
const PUSH_KEY = 'attack-push-key-0123';

/** Resident memory (bytes) and open descriptors of a process, from /proc. */
function footprint(pid: number): { rss: number; fds: number } {
  const rss = Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024;
  return { rss, fds: readdirSync(`/proc/${pid}/fd`).length };
}

/**
 * Sequence continuity of a WebSocket viewer: between two keyframe messages
 * it got exactly as many fragments as their sequence numbers say, and it
 * was never told of a skip. Returns the fragments checked.
 */
function assertNoGap(viewer: WsViewer): number {
  let lastSeq: number | undefined;
  let binariesSince = 0;
  let checked = 0;
  let sawInit = false;
  for (const message of viewer.messages) {
    if (message.binary) {
      binariesSince++;
      continue;
    }
    const parsed = JSON.parse(message.data.toString()) as { type: string; seq?: number };
    assert.notEqual(parsed.type, 'skip', 'the viewer was made to skip');
    if (parsed.type === 'init') {
      assert.ok(!sawInit, 'the stream restarted during the attack');
      sawInit = true;
      binariesSince = -1; // The init segment itself.
    }
    if (parsed.type !== 'keyframe') continue;
    if (lastSeq !== undefined) {
      assert.equal(binariesSince, parsed.seq! - lastSeq, `fragments between keyframes ${lastSeq} and ${parsed.seq}`);
      checked += binariesSince;
    }
    lastSeq = parsed.seq;
    binariesSince = 0;
  }
  return checked;
}

test('1,000 bad requests of every kind get 4xx answers, while a viewer receives every fragment; memory and descriptors return to their baseline', async (t) => {
  const dir = mkdtempSync(`${tmpdir()}/fragcast-attack-`);
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(
    `${dir}/fragcast.yaml`,
    `admin: { token: ${ADMIN} }
links: { secret: attack-link-secret-0123 }
limits: { viewers_per_ip: 4, header_size: 16KiB, body_timeout: 2s, viewer_messages: 5 }
streams:
  live: { source: { kind: ffmpeg, input: "${loopSourcePath()}", loop: true, codecs: copy } }
  private: { source: { kind: push, key: another-key-0123 }, access: signed }
  pub: { source: { kind: push, key: ${PUSH_KEY}, idle_timeout: 2s } }
`,
  );
  // The real CLI in its own process: its memory and descriptors are fragcast's alone.
  const child = spawn(process.execPath, ['build/fragcast.mjs', '--config', `${dir}/fragcast.yaml`, '--port', '0', '--log-level', 'error'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => child.kill('SIGKILL'));
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const port = Number((await waitFor('fragcast to listen', () => /Open http:\/\/127\.0\.0\.1:(\d+)\//.exec(stdout), 15_000))[1]);

  const viewer = new WsViewer(`ws://127.0.0.1:${port}/streams/live/ws`);
  await waitFor('the viewer to play', () => viewer.json().filter((m) => m.type === 'keyframe').length >= 2, 15_000);
  // Let the process settle (JIT, caches full) before the baseline.
  await new Promise((resolve) => setTimeout(resolve, 2000));
  const baseline = footprint(child.pid!);
  const fragmentsBefore = viewer.binaries.length;

  const report = await runAttack({ port, pushStream: 'pub', pushKey: PUSH_KEY, publicStream: 'live', signedStream: 'private', adminToken: ADMIN }, { requests: 1000, concurrency: 24, slowSockets: 30, slowHoldMs: 4000 });
  const during = footprint(child.pid!);
  t.diagnostic(`attack: ${report.outcomes.length} in ${report.seconds.toFixed(1)} s; ${JSON.stringify(report.byKind)}`);

  let oversizedAnswered = 0;
  for (const { kind, status, code, error } of report.outcomes) {
    if (kind === 'raw garbage' || kind === 'slowloris') {
      assert.ok(status === 0 || (status >= 400 && status < 500), `${kind}: ${status}`);
    } else if (kind.startsWith('oversized ')) {
      // uWS 20.30 closes a header block of over 4 KiB that reaches it in more than one read, before fragcast
      // sees it (docs/security.md); under load about 1 % of these 32 KB blocks do. Whole, fragcast answers 431.
      assert.ok(status === 431 || (status === 0 && /ECONNRESET|socket hang up/.test(error ?? '')), `${kind}: ${status} ${error ?? ''}`);
      if (status === 431) {
        assert.equal(code, 'HEADERS_TOO_LARGE');
        oversizedAnswered++;
      }
    } else if (kind.startsWith('ws ')) {
      assert.ok([4400, 1009, 4429, 429].includes(status), `${kind}: ${status}`);
    } else {
      assert.ok(status >= 400 && status < 500, `${kind}: ${status} ${code ?? ''} ${error ?? ''}`);
      assert.ok(code, `${kind}: ${status} without the JSON error shape`);
    }
  }
  assert.ok(report.outcomes.length >= 1000 + 30);
  assert.ok(oversizedAnswered > 0, 'no oversized header block was answered 431');

  // The viewer kept receiving through the attack, every fragment, no skip.
  const afterAttack = viewer.binaries.length;
  assert.ok(afterAttack - fragmentsBefore > report.seconds * 20, `${afterAttack - fragmentsBefore} fragments in ${report.seconds.toFixed(1)} s of attack (30 per second are made)`);
  await waitFor('more fragments after the attack', () => viewer.binaries.length > afterAttack + 30, 10_000);
  const checked = assertNoGap(viewer);
  assert.ok(checked > fragmentsBefore, `${checked} fragments checked`);
  assert.equal(viewer.closeCode, undefined);

  // Descriptors return to the baseline (the viewer's socket and the stream's pipes stay).
  const settled = await waitFor('descriptors back to the baseline', () => {
    const now = footprint(child.pid!);
    return now.fds <= baseline.fds ? now : undefined;
  }, 20_000);
  const growthMiB = (settled.rss - baseline.rss) / 2 ** 20;
  t.diagnostic(`rss ${(baseline.rss / 2 ** 20).toFixed(1)} → ${(during.rss / 2 ** 20).toFixed(1)} (attack) → ${(settled.rss / 2 ** 20).toFixed(1)} MiB; fds ${baseline.fds} → ${during.fds} → ${settled.fds}`);
  // RSS is not given back to the system at once (V8 keeps its heap pages); bounded is what counts.
  assert.ok(growthMiB < 64, `RSS grew by ${growthMiB.toFixed(1)} MiB`);

  viewer.close();
  child.kill('SIGTERM');
  assert.equal(await new Promise((resolve) => child.once('exit', resolve)), 0, stderr);
});
