import { parseCli, USAGE } from './config/cli.ts';
import { FragcastError } from './errors.ts';
import { startFragcast } from './fragcast.ts';
import { createLogger } from './logger.ts';

/** How long a graceful stop may take before fragcast exits anyway. */
const SHUTDOWN_DEADLINE_MS = 1800;

function fail(error: unknown): never {
  const message = error instanceof FragcastError ? `fragcast: ${error.code}: ${error.message}` : `fragcast: ${(error as Error)?.stack ?? String(error)}`;
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

async function main(): Promise<void> {
  let cli;
  try {
    cli = parseCli(process.argv.slice(2), process.env);
  } catch (error) {
    fail(error);
  }
  if (cli.help) {
    process.stdout.write(USAGE);
    return;
  }
  if (cli.config) fail(new FragcastError('INVALID_ARGUMENT', { what: '--config is not supported by this version yet; run without it for the demo stream' }));

  const logger = createLogger({ level: cli.logLevel });
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

  let fragcast;
  try {
    fragcast = await startFragcast({
      host: cli.host,
      port: cli.port,
      logger,
      ffmpeg: { configured: cli.ffmpegPath, envPath: cli.ffmpegEnvPath, searchPath: cli.searchPath },
      allowUwsFallback: cli.allowUwsFallback,
    });
  } catch (error) {
    fail(error);
  }

  const shown = cli.host === '0.0.0.0' || cli.host === '::' ? '127.0.0.1' : cli.host.includes(':') ? `[${cli.host}]` : cli.host;
  const base = `http://${shown}:${fragcast.port}`;
  logger.info({ host: cli.host, port: fragcast.port }, 'fragcast listening');
  const lines = [`\nfragcast is running. Open ${base}/ for the list of streams.`];
  for (const { stream } of fragcast.registry.entries()) {
    const path = `/streams/${stream.name}`;
    lines.push(
      `  ${base}${path}  player`,
      `  ${base}${path}/live.mp4  chunked MP4 (VLC, ffplay)`,
      `  ${base}${path}/index.m3u8  LL-HLS with a ${fragcast.hls.options.windowSeconds} s DVR window (Safari, hls.js, CDNs)`,
      `  ${base.replace('http', 'ws')}${path}/ws  WebSocket`,
    );
  }
  process.stdout.write(`${lines.join('\n')}\n\n`);

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
