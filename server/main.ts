import { stringify } from 'yaml';
import { listenAddress, parseCli, USAGE, type CliOptions } from './config/cli.ts';
import { loadConfigFile, type LoadedConfig } from './config/load.ts';
import { redactConfig } from './config/redact.ts';
import { FragcastError } from './errors.ts';
import { startFragcast } from './fragcast.ts';
import { signLink } from './http/signed-links.ts';
import { createLogger } from './logger.ts';

/** How long a graceful stop may take before fragcast exits anyway. */
const SHUTDOWN_DEADLINE_MS = 1800;

function fail(error: unknown): never {
  const message = error instanceof FragcastError ? `fragcast: ${error.code}: ${error.message}` : `fragcast: ${(error as Error)?.stack ?? String(error)}`;
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

/** `fragcast check-config FILE`: every problem on stderr and exit 1, or the resolved configuration (redacted) and exit 0. */
function checkConfig(cli: CliOptions): void {
  let loaded: LoadedConfig;
  try {
    loaded = loadConfigFile(cli.config!, process.env);
  } catch (error) {
    fail(error);
  }
  const shown = redactConfig(loaded);
  process.stdout.write(cli.json ? `${JSON.stringify(shown, null, 2)}\n` : `# ${loaded.file}: valid (${Object.keys(shown.streams).length} streams)\n${stringify(shown)}`);
}

/** `fragcast sign STREAM`: a signed link, as `POST /api/streams/NAME/links` makes it (docs/security.md). */
function sign(cli: CliOptions): void {
  const { stream, ttlSeconds, ip, base } = cli.sign!;
  let loaded: LoadedConfig | undefined;
  try {
    loaded = cli.config ? loadConfigFile(cli.config, process.env) : undefined;
  } catch (error) {
    fail(error);
  }
  const secret = loaded?.config.links.secret ?? cli.linkSecret;
  if (!secret) fail(new FragcastError('INVALID_ARGUMENT', { what: 'no secret to sign with: give --config FILE with links.secret, or set FRAGCAST_LINK_SECRET' }));
  const streamConfig = loaded?.config.streams[stream];
  if (loaded && !streamConfig) fail(new FragcastError('INVALID_ARGUMENT', { what: `${loaded.file} has no stream "${stream}"` }));
  if (streamConfig && streamConfig.access !== 'signed') process.stderr.write(`fragcast: warning: stream "${stream}" has access: ${streamConfig.access}; a signed link is not what opens it\n`);
  const maxTtl = loaded?.config.links.max_ttl;
  if (maxTtl !== undefined && ttlSeconds > maxTtl) fail(new FragcastError('INVALID_ARGUMENT', { what: `--ttl ${ttlSeconds}s is longer than links.max_ttl (${maxTtl}s)` }));
  const link = signLink(secret, stream, Math.floor(Date.now() / 1000) + Math.round(ttlSeconds), ip);
  const listen = loaded?.config.listen;
  const origin = base ?? `${listen?.tls ? 'https' : 'http'}://${listen?.host && listen.host !== '0.0.0.0' && listen.host !== '::' ? listen.host : '127.0.0.1'}:${listen?.port ?? 8080}`;
  const path = `${origin}/streams/${stream}`;
  const links = {
    player: `${path}?${link.query}`,
    mp4: `${path}/live.mp4?${link.query}`,
    hls: `${path}/index.m3u8?${link.query}`,
    ws: `${origin.replace(/^http/, 'ws')}${path.slice(origin.length)}/ws?${link.query}`,
    snapshot: `${path}/snapshot.jpg?${link.query}`,
  };
  if (cli.json) {
    process.stdout.write(`${JSON.stringify({ stream, expires: link.exp, ip: ip ?? null, query: link.query, links }, null, 2)}\n`);
    return;
  }
  process.stdout.write(
    `${link.query}\n# stream "${stream}", valid until ${new Date(link.exp * 1000).toISOString()}${ip ? `, from ${ip} only` : ''}\n` +
      Object.entries(links).map(([kind, url]) => `${kind.padEnd(9)}${url}`).join('\n') + '\n',
  );
}

async function main(): Promise<void> {
  let cli: CliOptions;
  try {
    cli = parseCli(process.argv.slice(2), process.env);
  } catch (error) {
    fail(error);
  }
  if (cli.help) {
    process.stdout.write(USAGE);
    return;
  }
  if (cli.command === 'check-config') {
    checkConfig(cli);
    return;
  }
  if (cli.command === 'sign') {
    sign(cli);
    return;
  }

  let loaded: LoadedConfig | undefined;
  try {
    loaded = cli.config ? loadConfigFile(cli.config, process.env) : undefined;
  } catch (error) {
    fail(error);
  }
  const logger = createLogger({ level: cli.logLevel ?? loaded?.config.log.level ?? 'info' });
  process.on('uncaughtException', (error) => {
    // Log and exit: the process 'exit' hook kills every ffmpeg child (sources/child-reaper.ts).
    logger.fatal({ err: error }, 'uncaught exception');
    logger.flush?.();
    process.exit(1);
  });
  process.on('unhandledRejection', (reason) => {
    logger.fatal({ err: reason }, 'unhandled rejection');
    logger.flush?.();
    process.exit(1);
  });

  const { host, port } = listenAddress(cli, loaded?.config.listen ?? {});
  let fragcast;
  try {
    fragcast = await startFragcast({
      host,
      port,
      logger,
      ffmpeg: { configured: cli.ffmpegPath, envPath: cli.ffmpegEnvPath, searchPath: cli.searchPath },
      allowUwsFallback: cli.allowUwsFallback,
      adminToken: cli.adminToken,
      allowInsecureAdmin: cli.allowInsecureAdmin,
      ...(loaded ? { config: loaded, env: process.env } : {}),
    });
  } catch (error) {
    fail(error);
  }

  const shown = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  const base = `${fragcast.secure ? 'https' : 'http'}://${shown}:${fragcast.port}`;
  logger.info({ host, port: fragcast.port, config: loaded?.file ?? 'built-in demo' }, 'fragcast listening');
  const lines = [`\nfragcast is running. Open ${base}/ for the list of streams.`];
  for (const { stream } of fragcast.registry.entries()) {
    const path = `/streams/${stream.name}`;
    lines.push(
      `  ${base}${path}  player`,
      `  ${base}${path}/live.mp4  chunked MP4 (VLC, ffplay)`,
      `  ${base.replace('http', 'ws')}${path}/ws  WebSocket`,
      `  ${base}${path}/index.m3u8  LL-HLS with a ${fragcast.hls.options.windowSeconds} s DVR window (Safari, hls.js, CDNs)`,
      `  ${base}${path}/snapshot.jpg  picture of the newest keyframe`,
    );
  }
  lines.push(`Operators: ${base}/stats (live stats), ${base}/api/streams (API), ${base}/metrics (Prometheus).`);
  process.stdout.write(`${lines.join('\n')}\n\n`);

  // Reload on SIGHUP, and read the TLS files again; the outcome (or every problem of an invalid file) goes to the log.
  process.on('SIGHUP', () => {
    void fragcast.reload('SIGHUP').catch(() => {});
    if (!fragcast.secure) return;
    fragcast.reloadCertificates().then(
      () => logger.info('TLS certificate reloaded'),
      (error: unknown) => logger.error({ err: error, code: (error as FragcastError).code }, 'TLS certificate reload failed; the running certificate stays'),
    );
  });

  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const deadline = setTimeout(() => {
      logger.warn('shutdown deadline passed; exiting');
      process.exit(0);
    }, SHUTDOWN_DEADLINE_MS);
    deadline.unref();
    fragcast.close().then(
      () => {
        logger.info('stopped');
        logger.flush?.();
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ err: error }, 'error while stopping');
        process.exit(0);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

void main();
