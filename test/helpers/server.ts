/**
 * Starts a real fragcast in the test process on port 0, with real ffmpeg,
 * and closes it (and every ffmpeg it started) when the test ends.
 */
import type { TestContext } from 'node:test';
import pino from 'pino';
import { startFragcast, type Fragcast, type FragcastOptions } from '../../server/fragcast.ts';
import { FFMPEG_QUIET_ARGS, FMP4_STDOUT_ARGS } from '../../server/sources/ffmpeg-args.ts';
import { FfmpegSource } from '../../server/sources/ffmpeg-source.ts';
import type { Stream } from '../../server/streams/stream.ts';
import { fixturePath, loopSourcePath, type FixtureName } from './fixtures.ts';

export interface TestServer extends Fragcast {
  readonly http: string;
  readonly ws: string;
}

export const silentLogger = pino({ level: 'silent' });

export async function startTestServer(t: TestContext | undefined, options: Partial<FragcastOptions> = {}): Promise<TestServer> {
  const fragcast = await startFragcast({
    host: '127.0.0.1',
    port: 0,
    logger: silentLogger,
    ffmpeg: { searchPath: process.env.PATH },
    // FRAGCAST_TEST_FANOUT_THREADS=N runs a suite with every connection through fan-out threads (the bridge's fidelity).
    ...(process.env.FRAGCAST_TEST_FANOUT_THREADS ? { fanoutThreads: Number(process.env.FRAGCAST_TEST_FANOUT_THREADS) } : {}),
    ...options,
  });
  t?.after(() => fragcast.close());
  // Object.assign keeps the `config` getter live (a spread would copy its value).
  return Object.assign(fragcast, { http: `http://127.0.0.1:${fragcast.port}`, ws: `ws://127.0.0.1:${fragcast.port}` });
}

/** A fragcast with its built-in demo stream ready to watch, for the tests of a file to share; the caller closes it. */
export async function startDemoServer(): Promise<TestServer> {
  const server = await startTestServer(undefined);
  await streamReady(server.registry.get('demo')!);
  return server;
}

/** Polls `check` every 20 ms until it returns a truthy value, or fails after `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => T | undefined | false | null, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Resolves once the stream has an init and a cached keyframe: a viewer would start at once. */
export function streamReady(stream: Stream, timeoutMs = 8000): Promise<unknown> {
  return waitFor(`stream "${stream.name}" to have a keyframe`, () => stream.init && stream.cache.newest, timeoutMs);
}

/** Adds a stream that loops a short H.264 file with -c copy at `readrate` × real time. */
export function addLoopStream(server: Fragcast, name: string, readrate = 1): Stream {
  const source = new FfmpegSource({
    ffmpegPath: server.ffmpeg.path,
    args: [...FFMPEG_QUIET_ARGS, '-stream_loop', '-1', '-readrate', String(readrate), '-i', loopSourcePath(), '-map', '0:v', '-c', 'copy', ...FMP4_STDOUT_ARGS],
    logger: silentLogger,
  });
  return server.registry.add(name, source);
}

/**
 * Adds a stream whose source (a real child process) writes a fixture once and
 * then stays alive writing nothing: its newest keyframe never changes, which
 * makes "exactly one decode" countable. Without a fixture it writes nothing
 * at all: a stream that never becomes ready.
 */
export function addStillStream(server: Fragcast, name: string, fixture?: FixtureName): Stream {
  const write = fixture ? `process.stdout.write(require('fs').readFileSync(${JSON.stringify(fixturePath(fixture))}));` : '';
  const source = new FfmpegSource({
    ffmpegPath: process.execPath,
    args: ['-e', `${write} setInterval(() => {}, 60000);`],
    logger: silentLogger,
  });
  return server.registry.add(name, source);
}
