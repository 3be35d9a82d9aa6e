import { fileURLToPath } from 'node:url';
import type { Logger } from './logger.ts';
import { HlsOutput } from './outputs/hls/hls-output.ts';
import type { HlsOptions } from './outputs/hls/options.ts';
import { Viewers } from './outputs/viewers.ts';
import type { KeyframeGateOptions } from './outputs/keyframe-gate.ts';
import { Assets } from './http/assets.ts';
import { HttpServer } from './http/server.ts';
import { loadUws } from './http/uws.ts';
import { demoArgs } from './sources/ffmpeg-args.ts';
import { locateFfmpeg, type FfmpegLocation } from './sources/ffmpeg-locate.ts';
import { FfmpegSource } from './sources/ffmpeg-source.ts';
import type { BackoffOptions } from './sources/backoff.ts';
import type { GopCacheOptions } from './streams/gop-cache.ts';
import { StreamRegistry } from './streams/registry.ts';

export const DIST_DIR = fileURLToPath(new URL('../dist/', import.meta.url));

export interface FragcastOptions {
  readonly host: string;
  readonly port: number;
  readonly logger: Logger;
  readonly ffmpeg: { readonly configured?: string | undefined; readonly envPath?: string | undefined; readonly searchPath?: string | undefined };
  readonly allowUwsFallback?: boolean;
  /** Start the built-in demo stream "demo". Default true. */
  readonly demo?: boolean;
  readonly assetsDir?: string;
  readonly gate?: Partial<KeyframeGateOptions>;
  readonly cache?: Partial<GopCacheOptions>;
  readonly backoff?: Partial<BackoffOptions>;
  /** LL-HLS and its DVR window; defaults in HLS_DEFAULTS (server/outputs/hls/options.ts, docs/hls.md). */
  readonly hls?: Partial<HlsOptions>;
}

/** A running fragcast: what tests and the CLI hold on to. */
export interface Fragcast {
  readonly port: number;
  readonly ffmpeg: FfmpegLocation;
  readonly registry: StreamRegistry;
  readonly viewers: Viewers;
  readonly hls: HlsOutput;
  readonly uwsNative: boolean;
  /** Stops listening, tells viewers the server is going away, ends every source. Idempotent. */
  close(): Promise<void>;
}

/** Wires the layers: sources → streams → outputs, and http in front. */
export async function startFragcast(options: FragcastOptions): Promise<Fragcast> {
  const log = options.logger;
  const uws = loadUws({ allowFallback: options.allowUwsFallback ?? false });
  if (!uws.native) log.warn({ why: uws.failure }, 'running on the uWebSockets.js JavaScript fallback: expect a fraction of the native throughput');
  const ffmpeg = locateFfmpeg(options.ffmpeg);
  log.info({ path: ffmpeg.path, from: ffmpeg.from }, 'using ffmpeg');

  const registry = new StreamRegistry(log.child({ module: 'streams' }));
  const viewers = new Viewers(log.child({ module: 'viewers' }));
  // Before any stream is added: every stream gets its HLS timeline (and DVR window) from its first byte.
  const hls = new HlsOutput(registry, options.hls ?? {}, log.child({ module: 'hls' }));
  const assets = new Assets(options.assetsDir ?? DIST_DIR);
  if (assets.size === 0) log.error({ dir: assets.dir }, 'no client bundles found: run "npm run build" (pages will not play)');

  if (options.demo ?? true) {
    const source = new FfmpegSource({
      ffmpegPath: ffmpeg.path,
      args: demoArgs(ffmpeg.path),
      logger: log.child({ module: 'source', stream: 'demo' }),
      ...(options.backoff ? { backoff: options.backoff } : {}),
    });
    registry.add('demo', source, options.cache ? { cache: options.cache } : {});
  }

  const http = new HttpServer({
    host: options.host,
    port: options.port,
    uws,
    registry,
    viewers,
    hls,
    assets,
    logger: log.child({ module: 'http' }),
    gate: options.gate,
  });
  let port: number;
  try {
    port = await http.listen();
  } catch (error) {
    await registry.close();
    hls.close();
    throw error;
  }

  let closing: Promise<void> | undefined;
  return {
    port,
    ffmpeg,
    registry,
    viewers,
    hls,
    uwsNative: uws.native,
    close() {
      closing ??= (async () => {
        http.stopListening();
        viewers.closeAll('SERVER_SHUTTING_DOWN');
        await registry.close();
        hls.close();
      })();
      return closing;
    },
  };
}
