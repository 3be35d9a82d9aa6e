/**
 * The peer a Node user would pick instead: node-media-server, fed by ffmpeg
 * over RTMP (the file looped in real time with -c copy), viewers on WS-FLV.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { announceReady } from './ipc.ts';

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

const NodeMediaServer = createRequire(import.meta.url)('node-media-server') as new (config: object) => { run(): void | Promise<void> };
const [rtmpPort, httpPort] = [await freePort(), await freePort()];
// nms logs at debug level to stdout whatever it is told; the runner discards our stdout.
const store = mkdtempSync(`${tmpdir()}/nms-`);
process.on('exit', () => rmSync(store, { recursive: true, force: true }));
const nms = new NodeMediaServer({ bind: '127.0.0.1', rtmp: { port: rtmpPort }, http: { port: httpPort }, store: { path: store } });
await nms.run();
const ffmpeg = spawn(
  'ffmpeg',
  ['-hide_banner', '-nostdin', '-loglevel', 'error', '-stream_loop', '-1', '-re', '-i', process.argv[2]!, '-c', 'copy', '-f', 'flv', `rtmp://127.0.0.1:${rtmpPort}/live/bench`],
  { stdio: ['ignore', 'ignore', 'inherit'] },
);
process.on('exit', () => ffmpeg.kill('SIGKILL'));
// FLV bytes reach viewers; the runner takes the offered rate from the source file (see bench/run.ts).
announceReady({ port: httpPort, wsPath: '/live/bench.flv', format: 'flv' }, () => -1);
