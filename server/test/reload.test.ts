import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { test, type TestContext } from 'node:test';
import { loadConfigFile } from '../config/load.ts';
import { CloseCodes } from '../protocol.ts';
import { loopSourcePath } from '../../test/helpers/fixtures.ts';
import { startTestServer, streamReady, waitFor, type TestServer } from '../../test/helpers/server.ts';
import { WsViewer } from '../../test/helpers/ws-viewer.ts';

const ENV = { CAM_PASSWORD: 'pa55word-from-env', KEY: 'push-key-for-tests' };

/** A looped file stream, cheap to run (H.264 copied). `readrate` makes a definition differ without changing its media. */
const fileStream = (name: string, extra = ''): string => `  ${name}: { source: { kind: ffmpeg, input: "${loopSourcePath()}", loop: true, codecs: copy${extra} } }`;

function configFile(t: TestContext, ...streams: string[]): { file: string; write(...streams: string[]): void } {
  const dir = mkdtempSync(`${tmpdir()}/fragcast-reload-`);
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = `${dir}/fragcast.yaml`;
  const write = (...lines: string[]): void => writeFileSync(file, `streams:\n${lines.join('\n')}\n`);
  write(...streams);
  return { file, write };
}

async function serverFor(t: TestContext, file: string, watch = false): Promise<TestServer> {
  return startTestServer(t, { config: loadConfigFile(file, ENV), env: ENV, watchConfig: watch });
}

/** Largest gap (ms) between consecutive binary messages after the first few. */
function largestGap(viewer: WsViewer, fromMs = 0): number {
  const times = viewer.messages.filter((m) => m.binary && m.at >= fromMs).map((m) => m.at);
  let gap = 0;
  for (let i = 1; i < times.length; i++) gap = Math.max(gap, times[i]! - times[i - 1]!);
  return gap;
}

test('hot reload adds, removes and changes streams while a viewer of an unchanged stream keeps receiving fragments without a gap', async (t) => {
  const config = configFile(t, fileStream('steady'), fileStream('doomed'), fileStream('changing'));
  const server = await serverFor(t, config.file);
  for (const name of ['steady', 'doomed', 'changing']) await streamReady(server.registry.get(name)!);
  const steady = server.registry.entry('steady')!;
  const steadySource = steady.source;
  const steadyViewer = new WsViewer(`${server.ws}/streams/steady/ws`);
  const doomedViewer = new WsViewer(`${server.ws}/streams/doomed/ws`);
  const changingViewer = new WsViewer(`${server.ws}/streams/changing/ws`);
  t.after(() => [steadyViewer, doomedViewer, changingViewer].forEach((v) => v.close()));
  await waitFor('all viewers to play', () => [steadyViewer, doomedViewer, changingViewer].every((v) => v.binaries.length > 10));
  const before = performance.now();

  config.write(fileStream('steady'), fileStream('changing', ', realtime: true, audio: false'), `  pushed: { source: { kind: push, key: "\${env:KEY}" } }`, fileStream('added'));
  const response = await fetch(`${server.http}/api/reload`, { method: 'POST' });
  assert.equal(response.status, 200);
  assert.deepEqual(await response.json(), { reloaded: true, added: ['pushed', 'added'], removed: ['doomed'], restarted: ['changing'], unchanged: ['steady'] });

  assert.equal(await doomedViewer.closed, CloseCodes.STREAM_CLOSED, 'a removed stream closes its viewers');
  assert.equal(server.registry.get('doomed'), undefined);
  await streamReady(server.registry.get('added')!);
  await waitFor('the changed stream to send its new init to the same viewer', () => changingViewer.json().some((m) => m.type === 'init' && m.generation === 2), 5000);
  assert.equal(changingViewer.closeCode, undefined, 'a changed stream keeps its viewers');
  await new Promise((resolve) => setTimeout(resolve, 1000));

  assert.equal(steady.source, steadySource, 'the unchanged stream kept its source');
  assert.equal(steady.stream.init!.generation, 1);
  assert.equal(steadyViewer.closeCode, undefined);
  const gap = largestGap(steadyViewer, before - 500);
  console.log(`# largest gap for the unchanged stream's viewer across the reload: ${gap.toFixed(0)} ms`);
  // 30 fps: a fragment every 33 ms; anything near a second would be a restart.
  assert.ok(gap < 250, `gap of ${gap.toFixed(0)} ms`);
  assert.ok(steadyViewer.messages.filter((m) => m.at > before).length > 30);
});

test('an invalid file changes nothing and is answered with every problem; /api/config redacts secrets', async (t) => {
  const config = configFile(t, fileStream('cam', ', input_options: [-user_agent, "rtsp://u:\${env:CAM_PASSWORD}@x"]'), `  pushed: { source: { kind: push, key: "\${env:KEY}" } }`);
  const server = await serverFor(t, config.file);
  const shown = await (await fetch(`${server.http}/api/config`)).text();
  assert.ok(!shown.includes(ENV.CAM_PASSWORD) && !shown.includes(ENV.KEY), shown);
  const running = JSON.parse(shown) as { streams: { cam: { source: { input_options: string[] } }; pushed: { source: { key: string } } } };
  assert.deepEqual(running.streams.cam.source.input_options, ['-user_agent', 'rtsp://u:${env:CAM_PASSWORD}@x']);
  assert.equal(running.streams.pushed.source.key, '<redacted>');

  config.write(fileStream('cam'), '  Bad: { source: { kind: demo } }', '  other: { source: { kind: ffmpeg } }');
  const response = await fetch(`${server.http}/api/reload`, { method: 'POST' });
  assert.equal(response.status, 422);
  const body = (await response.json()) as { error: { code: string; issues: { path: string; message: string }[] } };
  assert.equal(body.error.code, 'CONFIG_INVALID');
  assert.deepEqual(body.error.issues.map((i) => i.path), ['streams.Bad', 'streams.other.source.input']);
  assert.deepEqual([...server.registry.entries()].map((e) => e.stream.name), ['cam', 'pushed'], 'nothing changed');

  const demo = await startTestServer(t, { demo: false });
  const refused = await fetch(`${demo.http}/api/reload`, { method: 'POST' });
  assert.equal(refused.status, 409);
  assert.equal(((await refused.json()) as { error: { code: string } }).error.code, 'RELOAD_UNAVAILABLE');
});

test('saving the file reloads it', async (t) => {
  const config = configFile(t, fileStream('first'));
  const server = await serverFor(t, config.file, true);
  config.write(fileStream('first'), fileStream('second'));
  const second = await waitFor('the watcher to add the new stream', () => server.registry.get('second'), 5000);
  await streamReady(second);
  assert.equal(server.registry.entry('first')!.stream.init!.generation, 1, 'the unchanged stream was left alone');
});
