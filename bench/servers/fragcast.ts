/**
 * fragcast as users run it, with the bench source as its one stream.
 */
import pino from 'pino';
import { loopArgs } from '../media.ts';
import { resolveConfig } from '../../server/config/load.ts';
import { startFragcast } from '../../server/fragcast.ts';
import { FfmpegSource } from '../../server/sources/ffmpeg-source.ts';
import { announceReady, ArrivalLog } from './ipc.ts';

const logger = pino({ level: 'warn' }, pino.destination(2));
const fragcast = await startFragcast({
  host: '127.0.0.1',
  port: 0,
  logger,
  // Every bench viewer comes from 127.0.0.1: the per-address limit against abuse (64) and the server's viewer cap
  // (10,000) are raised for the measurement; everything else is as users run it.
  config: resolveConfig({ streams: {}, limits: { viewers: 20_000, viewers_per_ip: 20_000 } }, undefined, {}),
  ffmpeg: { searchPath: process.env.PATH },
  fanoutThreads: Number(process.argv[3] ?? 0),
});
const stream = fragcast.registry.add('bench', new FfmpegSource({ ffmpegPath: fragcast.ffmpeg.path, args: loopArgs(process.argv[2]!), logger }));
// The documented arrival stamp of each fragment (Fragment.arrivalMs), keyed by its prft.
const arrivals = new ArrivalLog();
stream.on('fragments', (fragments) => {
  for (const fragment of fragments) if (fragment.info.prft) arrivals.record(fragment.info.prft.wallclockMs, fragment.arrivalMs);
});
announceReady(
  { port: fragcast.port, wsPath: '/streams/bench/ws', httpPath: '/streams/bench/live.mp4', format: 'fmp4' },
  () => stream.stats.bytesIn,
  arrivals,
  () => fragcast.close(),
);
