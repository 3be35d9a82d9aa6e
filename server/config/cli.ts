import { isIP } from 'node:net';
import { parseArgs } from 'node:util';
import { FragcastError } from '../errors.ts';
import { isValidStreamName } from '../streams/stream-name.ts';
import { parseDuration } from './units.ts';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** What the command line and the environment decide. Frozen once parsed. */
export interface CliOptions {
  /** `serve` runs the server; `check-config` validates `config` and prints it; `sign` mints a signed viewer link. */
  readonly command: 'serve' | 'check-config' | 'sign';
  /** sign: the stream, the link's lifetime (s), the client address to bind it to, the base URL of the links. */
  readonly sign: { readonly stream: string; readonly ttlSeconds: number; readonly ip: string | undefined; readonly base: string | undefined } | undefined;
  /** FRAGCAST_LINK_SECRET: signs links when the configuration has no links.secret. */
  readonly linkSecret: string | undefined;
  /** FRAGCAST_ADMIN_TOKEN: the admin token when the configuration has no admin.token. */
  readonly adminToken: string | undefined;
  /** --allow-insecure-admin: listen on a non-loopback address without an admin token. */
  readonly allowInsecureAdmin: boolean;
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
       fragcast sign STREAM [--ttl 1h] [--ip ADDR] [--config FILE] [--base URL] [--json]

Starts the fragcast live streaming server. Without --config it runs the
built-in demo stream "demo" (an ffmpeg test pattern with a clock and a tone).
check-config validates a configuration file, prints every problem, or the
resolved configuration (secrets redacted), and exits 1 or 0.
sign prints a signed link to a stream whose access is "signed", made with
the file's links.secret (or $FRAGCAST_LINK_SECRET): valid for --ttl
(default 1h), for one client address with --ip.

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
  --allow-insecure-admin
                       Listen on an address other than loopback without an
                       admin token (the operator routes are then open)
  -h, --help           Show this help

Environment: PORT, FFMPEG_PATH, FRAGCAST_ADMIN_TOKEN (the admin token when
the file sets none), FRAGCAST_LINK_SECRET (for sign, when the file sets no
links.secret), FRAGCAST_ALLOW_UWS_FALLBACK=1.
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
        'allow-insecure-admin': { type: 'boolean' },
        json: { type: 'boolean' },
        ttl: { type: 'string' },
        ip: { type: 'string' },
        base: { type: 'string' },
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
  if (command !== 'serve' && command !== 'check-config' && command !== 'sign') {
    throw new FragcastError('INVALID_ARGUMENT', { what: `unknown command "${command}"\n\n${USAGE}` });
  }
  if (command !== 'sign' && (values.ttl !== undefined || values.ip !== undefined || values.base !== undefined)) {
    throw new FragcastError('INVALID_ARGUMENT', { what: '--ttl, --ip and --base belong to the sign command' });
  }
  if (command === 'serve' && file !== undefined) {
    throw new FragcastError('INVALID_ARGUMENT', { what: `unexpected argument "${file}"\n\n${USAGE}` });
  }
  if (command === 'check-config' && (file === undefined || extra.length)) {
    throw new FragcastError('INVALID_ARGUMENT', { what: `usage: fragcast check-config FILE [--json]` });
  }
  return Object.freeze({
    command,
    sign: command === 'sign' ? parseSign(file, extra, values) : undefined,
    linkSecret: env.FRAGCAST_LINK_SECRET || undefined,
    adminToken: env.FRAGCAST_ADMIN_TOKEN || undefined,
    allowInsecureAdmin: values['allow-insecure-admin'] ?? false,
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

/** The arguments of `fragcast sign STREAM [--ttl D] [--ip ADDR] [--base URL]`. */
function parseSign(stream: string | undefined, extra: readonly string[], values: { ttl?: string | undefined; ip?: string | undefined; base?: string | undefined }): NonNullable<CliOptions['sign']> {
  if (stream === undefined || extra.length) throw new FragcastError('INVALID_ARGUMENT', { what: 'usage: fragcast sign STREAM [--ttl 1h] [--ip ADDR] [--config FILE] [--base URL] [--json]' });
  if (!isValidStreamName(stream)) throw new FragcastError('INVALID_ARGUMENT', { what: `"${stream.slice(0, 80)}" is not a stream name (1-64 characters of a-z, 0-9, "_" and "-")` });
  const ttlSeconds = parseDuration(values.ttl ?? '1h');
  if (ttlSeconds === undefined || ttlSeconds < 1) throw new FragcastError('INVALID_ARGUMENT', { what: `--ttl must be a duration such as 90s, 30m, 1h or 24h, got "${values.ttl}"` });
  if (values.ip !== undefined && !isIP(values.ip)) throw new FragcastError('INVALID_ARGUMENT', { what: `--ip must be an IPv4 or IPv6 address, got "${values.ip}"` });
  if (values.base !== undefined && !/^https?:\/\/[^\s/]+\/?$/.test(values.base)) throw new FragcastError('INVALID_ARGUMENT', { what: `--base must be http(s)://HOST[:PORT], got "${values.base}"` });
  return { stream, ttlSeconds, ip: values.ip, base: values.base?.replace(/\/$/, '') };
}

/** Where to listen: the flag, else the configuration file, else (port) $PORT, else 127.0.0.1:8080. */
export function listenAddress(cli: CliOptions, listen: { readonly host?: string | undefined; readonly port?: number | undefined }): { host: string; port: number } {
  return { host: cli.host ?? listen.host ?? '127.0.0.1', port: cli.port ?? listen.port ?? cli.envPort ?? 8080 };
}
