import { parseArgs } from 'node:util';
import { FragcastError } from '../errors.ts';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** What the command line and the environment decide. Frozen once parsed. */
export interface CliOptions {
  /** `serve` runs the server; `check-config` validates `config` and prints it. */
  readonly command: 'serve' | 'check-config';
  /** --host; see listenAddress for the defaults. */
  readonly host: string | undefined;
  /** --port. 0 picks a free port. */
  readonly port: number | undefined;
  /** PORT. */
  readonly envPort: number | undefined;
  readonly config: string | undefined;
  /** --log-level; default: the configuration's log.level, else info. */
  readonly logLevel: LogLevel | undefined;
  /** check-config --json: print JSON instead of YAML. */
  readonly json: boolean;
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
       fragcast check-config FILE [--json]

Starts the fragcast live streaming server. Without --config it runs the
built-in demo stream "demo" (an ffmpeg test pattern with a clock and a tone).
check-config validates a configuration file, prints every problem, or the
resolved configuration (secrets redacted), and exits 1 or 0.

Options:
  --port N             Port to listen on (default: the file's listen.port,
                       else $PORT, else 8080; 0 = any free port)
  --host ADDR          Address to listen on (default: the file's listen.host,
                       else 127.0.0.1)
  --config FILE        Configuration file (YAML, or JSON for a .json file);
                       SIGHUP, POST /api/reload or editing it reloads it
  --log-level LEVEL    ${LOG_LEVELS.join(' | ')} (default: the file's log.level, else info)
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
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: [...argv],
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        config: { type: 'string' },
        'log-level': { type: 'string' },
        ffmpeg: { type: 'string' },
        'allow-uws-fallback': { type: 'boolean' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: true,
    }));
  } catch (error) {
    throw new FragcastError('INVALID_ARGUMENT', { what: `${(error as Error).message}\n\n${USAGE}` });
  }
  const logLevel = values['log-level'];
  if (logLevel !== undefined && !(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    throw new FragcastError('INVALID_ARGUMENT', { what: `--log-level must be one of ${LOG_LEVELS.join(', ')}, got "${logLevel}"` });
  }
  const [command = 'serve', file, ...extra] = positionals;
  if (command !== 'serve' && command !== 'check-config') {
    throw new FragcastError('INVALID_ARGUMENT', { what: `unknown command "${command}"\n\n${USAGE}` });
  }
  if (command === 'serve' && file !== undefined) {
    throw new FragcastError('INVALID_ARGUMENT', { what: `unexpected argument "${file}"\n\n${USAGE}` });
  }
  if (command === 'check-config' && (file === undefined || extra.length)) {
    throw new FragcastError('INVALID_ARGUMENT', { what: `usage: fragcast check-config FILE [--json]` });
  }
  return Object.freeze({
    command,
    host: values.host,
    port: values.port !== undefined ? parsePort(values.port, '--port') : undefined,
    envPort: env.PORT ? parsePort(env.PORT, 'PORT') : undefined,
    config: command === 'check-config' ? file : values.config,
    logLevel: logLevel as LogLevel | undefined,
    json: values.json ?? false,
    ffmpegPath: values.ffmpeg,
    ffmpegEnvPath: env.FFMPEG_PATH || undefined,
    searchPath: env.PATH,
    allowUwsFallback: values['allow-uws-fallback'] ?? ['1', 'true'].includes(env.FRAGCAST_ALLOW_UWS_FALLBACK ?? ''),
    help: values.help ?? false,
  });
}

/** Where to listen: the flag, else the configuration file, else (port) $PORT, else 127.0.0.1:8080. */
export function listenAddress(cli: CliOptions, listen: { readonly host?: string | undefined; readonly port?: number | undefined }): { host: string; port: number } {
  return { host: cli.host ?? listen.host ?? '127.0.0.1', port: cli.port ?? listen.port ?? cli.envPort ?? 8080 };
}
