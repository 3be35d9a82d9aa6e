import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { BUILT_IN_CONFIG, loadConfigFile, resolveConfig, type LoadedConfig } from './config/load.ts';
import { redactConfig, secretsOf } from './config/redact.ts';
import { desiredStreams, gateOptions, hlsOptions } from './config/runtime.ts';
import { watchConfigFile } from './config/watch.ts';
import { ConfigError, FragcastError } from './errors.ts';
import type { Logger } from './logger.ts';
import { Metrics } from './observability/metrics.ts';
import { StatsSampler, type StatsSamplerOptions } from './observability/stats-sampler.ts';
import { Snapshots, type SnapshotOptions } from './outputs/snapshot/snapshots.ts';
import { HlsOutput } from './outputs/hls/hls-output.ts';
import type { HlsOptions } from './outputs/hls/options.ts';
import { Viewers } from './outputs/viewers.ts';
import type { KeyframeGateOptions } from './outputs/keyframe-gate.ts';
import { Assets } from './http/assets.ts';
import { Access } from './http/access.ts';
import { AfterHandler } from './http/after-handler.ts';
import { isLoopbackHost } from './http/cidr.ts';
import { Limits } from './http/limits.ts';
import { originPolicy } from './http/cors.ts';
import { HttpServer } from './http/server.ts';
import { loadUws } from './http/uws.ts';
import { createSource, type SourceContext } from './sources/from-config.ts';
import { locateFfmpeg, locateFfprobe, type FfmpegLocation } from './sources/ffmpeg-locate.ts';
import { StreamRegistry, type ReconcileReport } from './streams/registry.ts';
import { PACKAGE_ROOT } from './package-root.ts';

export const DIST_DIR = join(PACKAGE_ROOT, 'dist');

export interface FragcastOptions {
  readonly host: string;
  readonly port: number;
  readonly logger: Logger;
  /** `configured` is --ffmpeg; it wins over the configuration's ffmpeg.path. */
  readonly ffmpeg: { readonly configured?: string | undefined; readonly envPath?: string | undefined; readonly searchPath?: string | undefined };
  readonly allowUwsFallback?: boolean;
  /** The validated configuration. Default: the built-in demo stream. */
  readonly config?: LoadedConfig;
  /** What `${env:NAME}` reads when the file is reloaded (config/ is the only reader of process.env). */
  readonly env?: NodeJS.ProcessEnv;
  /** Reload when the configuration file changes. Default: true when there is a file. */
  readonly watchConfig?: boolean;
  /** Without a configuration: start the demo stream (default) or nothing (tests add their own). */
  readonly demo?: boolean;
  readonly assetsDir?: string;
  /** Overrides listen.fanout_threads (--fanout-threads). */
  readonly fanoutThreads?: number;
  /** Overrides every stream's viewer gate (tests). */
  readonly gate?: Partial<KeyframeGateOptions>;
  readonly snapshot?: Partial<SnapshotOptions>;
  readonly stats?: Partial<StatsSamplerOptions>;
  /** Node process metrics on /metrics. Default true. */
  readonly processMetrics?: boolean;
  /** LL-HLS and its DVR window, over the configuration's `hls` (server/outputs/hls/options.ts, docs/hls.md). */
  readonly hls?: Partial<HlsOptions>;
  /** The admin token when the configuration sets none (FRAGCAST_ADMIN_TOKEN). */
  readonly adminToken?: string | undefined;
  /** Listen on a non-loopback address without an admin token (--allow-insecure-admin). */
  readonly allowInsecureAdmin?: boolean;
}

/** A running fragcast: what tests and the CLI hold on to. */
export interface Fragcast {
  readonly port: number;
  readonly ffmpeg: FfmpegLocation;
  readonly registry: StreamRegistry;
  readonly viewers: Viewers;
  readonly snapshots: Snapshots;
  readonly metrics: Metrics;
  readonly stats: StatsSampler;
  /** Every route as `METHOD /pattern`. */
  readonly routes: readonly string[];
  readonly hls: HlsOutput;
  readonly uwsNative: boolean;
  /** Serving HTTPS and WSS (listen.tls). */
  readonly secure: boolean;
  /** Who may pass which door; also mints signed links. */
  readonly access: Access;
  readonly limits: Limits;
  /** Reads the listen.tls files again (SIGHUP); throws TLS_UNAVAILABLE and keeps the running certificate when they are bad. */
  reloadCertificates(): Promise<void>;
  /** The configuration running now. */
  readonly config: LoadedConfig;
  /**
   * Reads the file again and reconciles the streams with it. An invalid file
   * changes nothing: the ConfigError (every problem) is logged and thrown.
   * Reloads run one at a time.
   */
  reload(trigger: string): Promise<ReconcileReport>;
  /** Stops listening, tells viewers the server is going away, ends every source. Idempotent. */
  close(): Promise<void>;
}

/** Wires the layers: configuration → sources → streams → outputs, and http in front. */
export async function startFragcast(options: FragcastOptions): Promise<Fragcast> {
  const log = options.logger;
  const env = options.env ?? {};
  let current = options.config ?? resolveConfig(options.demo === false ? { streams: {} } : BUILT_IN_CONFIG, undefined, env);
  const startup = current.config;
  // Beyond loopback, the operator routes need a token (docs/security.md): at startup, and after every reload.
  const checkAdminExposure = (config: LoadedConfig['config']): void => {
    if (isLoopbackHost(options.host) || config.admin.token !== undefined || options.adminToken !== undefined || config.admin.allow_insecure || options.allowInsecureAdmin) return;
    throw new FragcastError('ADMIN_TOKEN_REQUIRED', { host: options.host });
  };
  checkAdminExposure(startup);

  const uws = loadUws({ allowFallback: options.allowUwsFallback ?? false });
  if (!uws.native) log.warn({ why: uws.failure }, 'running on the uWebSockets.js JavaScript fallback: expect a fraction of the native throughput');
  const ffmpeg = locateFfmpeg({ ...options.ffmpeg, configured: options.ffmpeg.configured ?? startup.ffmpeg.path });
  const ffprobe = locateFfprobe(ffmpeg.path, { configured: startup.ffmpeg.ffprobe_path, searchPath: options.ffmpeg.searchPath });
  log.info({ path: ffmpeg.path, from: ffmpeg.from, ffprobe }, 'using ffmpeg');
  if (!ffprobe) log.warn('no ffprobe found: sources with codecs: auto will transcode every track');
  if (startup.log.directory) mkdirSync(startup.log.directory, { recursive: true });

  const metrics = new Metrics({ processMetrics: options.processMetrics ?? true });
  const registry = new StreamRegistry(log.child({ module: 'streams' }));
  const viewers = new Viewers(log.child({ module: 'viewers' }), { keyframeSent: metrics.keyframeSent });
  const snapshots = new Snapshots({ ffmpegPath: ffmpeg.path, logger: log.child({ module: 'snapshot' }), observer: metrics, snapshot: options.snapshot });
  const stats = new StatsSampler(registry, viewers, options.stats);
  metrics.watch({ registry, viewers, snapshots });
  // Before any stream is added: every stream gets its HLS timeline (and DVR window) from its first byte.
  const hls = new HlsOutput(registry, { ...hlsOptions(startup), ...options.hls }, log.child({ module: 'hls' }));
  const assets = new Assets(options.assetsDir ?? DIST_DIR);
  if (assets.size === 0) log.error({ dir: assets.dir }, 'no client bundles found: run "npm run build" (pages will not play)');

  const sourceContext = (config: LoadedConfig, name: string): SourceContext => ({
    ffmpegPath: ffmpeg.path,
    ffprobePath: ffprobe,
    logger: log,
    // log.* take effect at a restart, like listen and ffmpeg.
    logFiles: startup.log.directory ? { directory: startup.log.directory, maxBytes: startup.log.max_file_size, keep: startup.log.keep_files } : undefined,
    secrets: secretsOf(config.config.streams[name]!, config.envUses),
    streamOf: (parent) => registry.get(parent),
  });
  const apply = (config: LoadedConfig): Promise<ReconcileReport> =>
    registry.reconcile(desiredStreams(config.config), (name) => createSource(name, config.config.streams[name]!, sourceContext(config, name)));
  await apply(current);

  let reloading: Promise<unknown> = Promise.resolve();
  const reload = (trigger: string): Promise<ReconcileReport> => {
    const file = current.file;
    if (!file) return Promise.reject(new FragcastError('RELOAD_UNAVAILABLE'));
    const run = reloading.then(async () => {
      let next: LoadedConfig;
      try {
        next = loadConfigFile(file, env);
        checkAdminExposure(next.config);
      } catch (error) {
        const issues = error instanceof ConfigError ? error.issues : undefined;
        log.error({ trigger, file, issues, err: issues ? undefined : (error as Error).message }, 'configuration reload refused; nothing changed');
        throw error;
      }
      const needRestart = (['listen', 'hls', 'log', 'ffmpeg'] as const).filter((key) => !isDeepStrictEqual(next.config[key], startup[key]));
      if (needRestart.length) log.warn({ keys: needRestart }, 'these settings changed and take effect at the next start of fragcast');
      current = next;
      const report = await apply(next);
      log.info({ trigger, ...report }, 'configuration reloaded');
      return report;
    });
    reloading = run.catch(() => {});
    return run;
  };
  const watcher = current.file && options.watchConfig !== false ? watchConfigFile(current.file, () => reload('file changed').catch(() => {})) : undefined;

  const access = new Access({ config: () => current.config, adminToken: options.adminToken });
  const limits = new Limits(viewers, () => current.config);
  let http: HttpServer;
  let port: number;
  try {
    http = new HttpServer({
      host: options.host,
      port: options.port,
      tls: startup.listen.tls,
      fanoutThreads: options.fanoutThreads ?? startup.listen.fanout_threads,
      access,
      limits,
      afterHandler: new AfterHandler(log.child({ module: 'http' })),
      uws,
      registry,
      viewers,
      hls,
      assets,
      logger: log.child({ module: 'http' }),
      snapshots,
      metrics,
      stats,
      gateFor: (name) => {
        const stream = current.config.streams[name];
        return { ...(stream ? gateOptions(stream) : {}), ...options.gate };
      },
      // Streams added outside the configuration (tests) follow its defaults.
      originsFor: (name) => originPolicy((current.config.streams[name] ?? current.config.defaults).cors.origins),
      control: {
        config: () => redactConfig(current),
        reload: () => reload('api'),
      },
    });
    port = await http.listen();
  } catch (error) {
    snapshots.close();
    stats.close();
    watcher?.close();
    await registry.close();
    hls.close();
    throw error;
  }
  stats.start();

  let closing: Promise<void> | undefined;
  return {
    port,
    ffmpeg,
    registry,
    viewers,
    snapshots,
    metrics,
    stats,
    routes: http.router.routes(),
    hls,
    uwsNative: uws.native,
    secure: http.secure,
    access,
    limits,
    reloadCertificates: () => http.reloadCertificates(),
    get config() {
      return current;
    },
    reload,
    close() {
      closing ??= (async () => {
        watcher?.close();
        http.stopListening();
        stats.close();
        snapshots.close();
        viewers.closeAll('SERVER_SHUTTING_DOWN');
        await http.stopThreads('SERVER_SHUTTING_DOWN');
        await reloading;
        await registry.close();
        hls.close();
      })();
      return closing;
    },
  };
}
