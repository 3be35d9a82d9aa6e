import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { test } from 'node:test';
import { FfmpegNoiseFilter } from '../sources/ffmpeg-args.ts';
import { maskSecrets, StderrLog } from '../sources/stderr-log.ts';

test('a source log rotates at its size cap and keeps the configured number of files', (t) => {
  const dir = mkdtempSync(`${tmpdir()}/fragcast-log-`);
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const errors: unknown[] = [];
  const log = new StderrLog({ path: `${dir}/cam1.log`, maxBytes: 1000, keep: 2, onError: (e) => errors.push(e) });
  for (let i = 0; i < 100; i++) log.write(`line ${i} ${'x'.repeat(40)}`);
  log.close();
  assert.deepEqual(readdirSync(dir).sort(), ['cam1.log', 'cam1.log.1', 'cam1.log.2']);
  for (const name of readdirSync(dir)) assert.ok(statSync(`${dir}/${name}`).size <= 1000, name);
  assert.match(readFileSync(`${dir}/cam1.log`, 'utf8'), /line 99 x+\n$/);
  assert.match(readFileSync(`${dir}/cam1.log`, 'utf8'), /^\d{4}-\d\d-\d\dT[\d:.]+Z line/);
  assert.equal(errors.length, 0);

  const broken = new StderrLog({ path: `${dir}/missing-dir/x.log`, maxBytes: 1000, keep: 1, onError: (e) => errors.push(e) });
  broken.write('a');
  broken.write('b');
  assert.equal(errors.length, 1, 'an unwritable file is reported once, then left alone');
});

test('secrets are masked in log lines; ffmpeg 5.1 noise is told apart from real warnings', () => {
  assert.equal(maskSecrets('rtsp://admin:hunter2@cam: Connection refused (hunter2)', ['hunter2']), 'rtsp://admin:<redacted>@cam: Connection refused (<redacted>)');
  const filter = new FfmpegNoiseFilter();
  assert.equal(filter.isNoise('[mp4 @ 0x55] Unable to write PRFT, no entries in the track'), true);
  assert.equal(filter.isNoise('    Last message repeated 25 times'), true, 'a repeat of noise is noise');
  assert.equal(filter.isNoise('[rtsp @ 0x1] method DESCRIBE failed: 401 Unauthorized'), false);
  assert.equal(filter.isNoise('    Last message repeated 3 times'), false, 'a repeat of a real warning is kept');
});
