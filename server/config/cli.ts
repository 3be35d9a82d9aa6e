import { parseArgs } from 'node:util';
import { FragcastError } from '../errors.ts';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** What the command line and the environment decide. Frozen once parsed. */
export interface CliOptions {
  /** Default 127.0.0.1: fragcast is reachable from elsewhere only when asked. */
  readonly host: string;
  /** Default 8080, or PORT. 0 picks a free port. */
  readonly port: number;
  readonly config: string | undefined;
  readonly logLevel: LogLevel;
  /** ffmpeg binary given with --ffmpeg. */
  readonly ffmpegPath: string | undefined;
  /** FFMPEG_PATH. */
  readonly ffmpegEnvPath: string | undefined;
  /** PATH, for finding ffmpeg. */
  readonly searchPath: string | undefined;
  /** Accept uWebSockets.js's slow JavaScript fallback (--allow-uws-fallback or FRAGCAST_ALLOW_UWS_FALLBACK=1). */
  readonly allowUwsFallback: boolean;
  readonly help: boolean;
}

export const USAGE = `Usage: fragcast [options]

Starts the fragcast live streaming server. Without --config it runs the
built-in demo stream "demo" (an ffmpeg test pattern with a clock and a tone).

Options:
  --port N             Port to listen on (default 8080, or $PORT; 0 = any free port)
  --host ADDR          Address to listen on (default 127.0.0.1)
  --config FILE        Configuration file (YAML or JSON)
  --log-level LEVEL    ${LOG_LEVELS.join(' | ')} (default info)
  --ffmpeg PATH        ffmpeg binary (default $FFMPEG_PATH, then ffmpeg on $PATH,
                       then the npm package @ffmpeg-installer/ffmpeg)
  --allow-uws-fallback Run even if the uWebSockets.js native binary does not load
  -h, --help           Show this help
`;

function parsePort(text: string, from: string): number {
  const port = Number(text);
  if (!/^\d+$/.test(text) || port > 65535) {
    throw new FragcastError('INVALID_ARGUMENT', { what: `${from} must be a whole number from 0 to 65535, got "${text}"` });
  }
  return port;
}

/** Parses argv and the environment; throws INVALID_ARGUMENT naming the bad option. */
export function parseCli(argv: readonly string[], env: NodeJS.ProcessEnv): CliOptions {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        config: { type: 'string' },
        'log-level': { type: 'string' },
        ffmpeg: { type: 'string' },
        'allow-uws-fallback': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new FragcastError('INVALID_ARGUMENT', { what: `${(error as Error).message}\n\n${USAGE}` });
  }
  const logLevel = values['log-level'] ?? 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    throw new FragcastError('INVALID_ARGUMENT', { what: `--log-level must be one of ${LOG_LEVELS.join(', ')}, got "${logLevel}"` });
  }
  const port = values.port !== undefined ? parsePort(values.port, '--port') : env.PORT ? parsePort(env.PORT, 'PORT') : 8080;
  return Object.freeze({
    host: values.host ?? '127.0.0.1',
    port,
    config: values.config,
    logLevel: logLevel as LogLevel,
    ffmpegPath: values.ffmpeg,
    ffmpegEnvPath: env.FFMPEG_PATH || undefined,
    searchPath: env.PATH,
    allowUwsFallback: values['allow-uws-fallback'] ?? ['1', 'true'].includes(env.FRAGCAST_ALLOW_UWS_FALLBACK ?? ''),
    help: values.help ?? false,
  });
}
