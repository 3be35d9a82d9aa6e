import { z } from 'zod';
import { ORIGIN_PATTERN } from '../http/cors.ts';
import { HLS_DEFAULTS, hlsDurationProblems } from '../outputs/hls/options.ts';
import { KEYFRAME_GATE_DEFAULTS } from '../outputs/keyframe-gate.ts';
import { BACKOFF_DEFAULTS } from '../sources/backoff.ts';
import { GOP_CACHE_DEFAULTS } from '../streams/gop-cache.ts';
import { STREAM_NAME_PATTERN } from '../streams/stream-name.ts';
import { parseCidr } from '../http/cidr.ts';
import { LOG_LEVELS } from './cli.ts';
import { bitrate, boolean, describe, duration, integer, size } from './units.ts';

/**
 * The schema of fragcast.yaml. Every key's default is written here once;
 * docs/config.md documents each key (a test checks that it names them all).
 * Durations resolve to seconds, sizes to bytes, bitrates to bits per second.
 */

const KIB = 1024;
const MIB = 1024 * KIB;
const GIB = 1024 * MIB;

/** One ffmpeg argument: a string (numbers are accepted and turned into strings), never split, never given to a shell. */
const argument = z.preprocess(
  (value) => (typeof value === 'number' ? String(value) : value),
  z.string().refine((text) => !/[\0\r\n]/.test(text), { message: 'an ffmpeg argument cannot contain a NUL byte or a line break' }),
);

/** A list of IP addresses and CIDR ranges, IPv4 or IPv6 (`10.0.0.0/8`, `2001:db8::/32`, `192.0.2.7`). */
const cidrList = z.array(z.string().refine((text) => parseCidr(text) !== undefined, { message: 'must be an IP address or a CIDR range such as 10.0.0.0/8 or 2001:db8::/32' }));

/** A secret compared by fragcast: long enough that guessing it is hopeless. Redacted in /api/config. */
const secret = (min: number) => z.string().min(min, { message: `must be at least ${min} characters (use \${env:NAME} and a random value)` });

export const streamName = z.string().regex(STREAM_NAME_PATTERN, { message: 'must be a stream name: 1-64 characters of a-z, 0-9, "_" and "-"' });

// ── Per-stream settings (also the shape of `defaults`) ─────────────────

/** The GOP cache (streams/gop-cache.ts): what a new viewer starts from. */
const cacheSchema = z.strictObject({
  max_size: size(64 * KIB, 4 * GIB).default(GOP_CACHE_DEFAULTS.maxBytes),
  max_duration: duration(0, 3600).default(GOP_CACHE_DEFAULTS.maxSeconds),
  min_gops: integer(1, 100).default(GOP_CACHE_DEFAULTS.minGops),
});

/** The per-viewer backpressure gate (outputs/keyframe-gate.ts). */
const viewersSchema = z
  .strictObject({
    max_buffered: size(16 * KIB, GIB).default(KEYFRAME_GATE_DEFAULTS.maxBufferedBytes),
    resume_buffered: size(0, GIB).default(KEYFRAME_GATE_DEFAULTS.resumeBufferedBytes),
    max_behind: duration(0.5, 3600).default(KEYFRAME_GATE_DEFAULTS.maxBehindMs / 1000),
    /** At most this many viewers (WebSocket and live.mp4) of the stream at once; 0: only the server's limits.viewers. */
    max: integer(0, 1_000_000).default(0),
  })
  .check((ctx) => {
    if (ctx.value.resume_buffered > ctx.value.max_buffered) {
      ctx.issues.push({ code: 'custom', input: ctx.value, path: ['resume_buffered'], message: `must not exceed max_buffered (${ctx.value.max_buffered} bytes)` });
    }
  });

/** The restart backoff of every source (sources/backoff.ts). */
const restartSchema = z
  .strictObject({
    initial_delay: duration(0.01, 3600).default(BACKOFF_DEFAULTS.initialMs / 1000),
    max_delay: duration(0.01, 3600).default(BACKOFF_DEFAULTS.maxMs / 1000),
    healthy_after: duration(0, 86_400).default(BACKOFF_DEFAULTS.healthyMs / 1000),
  })
  .check((ctx) => {
    if (ctx.value.initial_delay > ctx.value.max_delay) {
      ctx.issues.push({ code: 'custom', input: ctx.value, path: ['initial_delay'], message: `must not exceed max_delay (${ctx.value.max_delay} s)` });
    }
  });

/** Who may watch a stream (server/http/access.ts, docs/security.md). */
export const ACCESS_MODES = ['public', 'signed', 'jwt'] as const;

/** An origin in `cors.origins`: compared in lower case, as browsers send it. */
const originPattern = z.preprocess(
  (value) => (typeof value === 'string' ? value.trim().toLowerCase() : value),
  z.string().regex(ORIGIN_PATTERN, { message: 'must be "*", an origin such as https://example.com or http://localhost:3000 (scheme and host, no path), or https://*.example.com' }),
);

/** Which web pages may play the stream from another origin (server/http/cors.ts, docs/embedding.md). */
const corsSchema = z.strictObject({
  origins: z.array(originPattern).min(1).default(['*']),
});

const settingsShape = {
  /** public: anyone; signed: links minted with links.secret; jwt: tokens checked against the jwt section. */
  access: z.enum(ACCESS_MODES).default('public'),
  /** Viewer IP allow-list (CIDRs); empty: any address. */
  allow: cidrList.default([]),
  /** Start the source with the first viewer, stop it `on_demand_stop_after` after the last. */
  on_demand: boolean().default(false),
  on_demand_stop_after: duration(0, 86_400).default(10),
  cache: cacheSchema.prefault({}),
  viewers: viewersSchema.prefault({}),
  restart: restartSchema.prefault({}),
  cors: corsSchema.prefault({}),
};

/** `defaults:` — the per-stream settings every stream starts from. */
export const settingsSchema = z.strictObject(settingsShape);

// ── Sources ────────────────────────────────────────────────────────────

const PRESETS = ['ultrafast', 'superfast', 'veryfast', 'faster', 'fast', 'medium', 'slow'] as const;

/** H.264/AAC encoding settings, used when fragcast transcodes. */
const transcodeSchema = (defaultVideoBitrate: number) =>
  z.strictObject({
    video_bitrate: bitrate(50_000, 200_000_000).default(defaultVideoBitrate),
    /** Scale to this height (width follows the aspect ratio unless given). */
    height: integer(16, 4320).optional(),
    width: integer(16, 7680).optional(),
    fps: integer(1, 240).optional(),
    /** Keyframe interval (ffmpeg sources; variants keep their parent's keyframes). */
    gop: duration(0.1, 60).default(1),
    preset: z.enum(PRESETS).default('veryfast'),
    audio_bitrate: bitrate(8_000, 512_000).default(96_000),
  });

/** ffmpeg input formats that are live devices or grabbers: never read at native rate (-re). */
const DEVICE_FORMATS = new Set(['v4l2', 'video4linux2', 'alsa', 'pulse', 'x11grab', 'kmsgrab', 'fbdev', 'avfoundation', 'dshow', 'gdigrab', 'decklink', 'jack', 'oss', 'openal']);
const URL_SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;

/** Keys that describe the input; an expert `args` list replaces all of them. */
const FFMPEG_INPUT_KEYS = ['input', 'format', 'input_options', 'loop', 'realtime', 'codecs', 'audio', 'transcode'] as const;

const ffmpegSourceSchema = z.preprocess(
  (raw, ctx) => {
    if (raw && typeof raw === 'object' && 'args' in raw) {
      for (const key of FFMPEG_INPUT_KEYS) {
        if (key in raw) ctx.issues.push({ code: 'custom', input: raw, path: [key], message: 'cannot be combined with args (args is the complete ffmpeg argument list)' });
      }
    }
    return raw;
  },
  z
    .strictObject({
      kind: z.literal('ffmpeg'),
      /** URL, file, device or lavfi graph: the value of ffmpeg's -i. */
      input: z
        .string()
        .min(1)
        .refine((text) => !text.startsWith('-'), { message: 'must not start with "-" (ffmpeg would read it as an option)' })
        .refine((text) => !/[\0\r\n]/.test(text), { message: 'cannot contain a NUL byte or a line break' })
        .optional(),
      /** ffmpeg's -f before -i: lavfi, v4l2, rtsp… */
      format: z.string().regex(/^[a-z0-9_]{1,32}$/, { message: 'must be an ffmpeg format name such as lavfi, v4l2 or rtsp' }).optional(),
      /** Options placed before -i, e.g. [-rtsp_transport, tcp]. */
      input_options: z.array(argument).default([]),
      /** Loop a file forever (-stream_loop -1). */
      loop: boolean().default(false),
      /** Read at native rate (-re). Default: on for files and lavfi, off for URLs and devices. */
      realtime: boolean().optional(),
      /** auto: ffprobe the input and copy browser-playable tracks (H.264, AAC), transcode the rest. */
      codecs: z.enum(['auto', 'copy', 'transcode']).default('auto'),
      /** false drops the audio. */
      audio: boolean().default(true),
      transcode: transcodeSchema(2_500_000).prefault({}),
      /** Expert: the complete argument list (after the ffmpeg binary); it must write fMP4 to pipe:1. */
      args: z
        .array(argument)
        .min(1)
        .refine((args) => args.at(-1) === 'pipe:1', { message: 'must end with pipe:1 (fragcast reads fragmented MP4 from ffmpeg\'s stdout)' })
        .optional(),
    })
    .check((ctx) => {
      const value = ctx.value;
      if (value.args === undefined && value.input === undefined) {
        ctx.issues.push({ code: 'custom', input: value, path: ['input'], message: 'is required (or give the complete ffmpeg argument list as args)' });
      }
    })
    .transform((value) => {
      const { args, input, ...rest } = value;
      if (args !== undefined) return { kind: value.kind, args };
      const live = (value.format !== undefined && DEVICE_FORMATS.has(value.format)) || (value.format !== 'lavfi' && URL_SCHEME.test(input ?? ''));
      return { ...rest, input: input!, realtime: value.realtime ?? !live };
    }),
);

const pushSourceSchema = z.strictObject({
  kind: z.literal('push'),
  /** The publish key a publisher presents (Authorization: Bearer KEY, or ?key=KEY). A secret: /api/config redacts it. */
  key: z.string().min(8, { message: 'must be at least 8 characters' }),
  /** A publisher that sends nothing for this long is disconnected, freeing the stream for the next. */
  idle_timeout: duration(1, 3600).default(10),
  /** A publisher sending faster than this (averaged over a few seconds) is cut off: no camera sends that much. */
  max_bitrate: bitrate(100_000, 10_000_000_000).default(50_000_000),
  /** Publisher IP allow-list (CIDRs); empty: any address that has the key. */
  allow: cidrList.default([]),
  /** A new publisher with the key replaces the current one (an encoder reconnecting after a silent drop); false: a second one gets 409. */
  takeover: z.boolean().default(true),
});

const relaySourceSchema = z.strictObject({
  kind: z.literal('relay'),
  /** Another fragcast's stream: ws://HOST/streams/NAME/ws or http://HOST/streams/NAME/live.mp4. */
  url: z.string().refine((text) => /^(wss?|https?):\/\/[^\s/]+\/\S*$/.test(text), { message: 'must be a ws://, wss://, http:// or https:// URL of a stream' }),
  /** No bytes for this long: the connection is dropped and made again. */
  stall_timeout: duration(1, 3600).default(15),
});

const variantSourceSchema = z.strictObject({
  kind: z.literal('variant'),
  /** The stream this one is transcoded from. */
  from: streamName,
  transcode: transcodeSchema(800_000).prefault({}),
  /** false drops the audio; true re-encodes it to AAC at transcode.audio_bitrate. */
  audio: boolean().default(true),
});

const demoSourceSchema = z.strictObject({
  kind: z.literal('demo'),
  width: integer(16, 3840).default(1280),
  height: integer(16, 2160).default(720),
  fps: integer(1, 120).default(30),
  video_bitrate: bitrate(50_000, 50_000_000).default(2_500_000),
});

const SOURCE_SCHEMAS = {
  ffmpeg: ffmpegSourceSchema,
  push: pushSourceSchema,
  relay: relaySourceSchema,
  variant: variantSourceSchema,
  demo: demoSourceSchema,
} as const;

export type SourceKind = keyof typeof SOURCE_SCHEMAS;
export const SOURCE_KINDS = Object.keys(SOURCE_SCHEMAS) as SourceKind[];
export type SourceConfig = { [K in SourceKind]: z.output<(typeof SOURCE_SCHEMAS)[K]> }[SourceKind];
export type SourceOf<K extends SourceKind> = Extract<SourceConfig, { kind: K }>;

/**
 * A source, picked by its `kind`. Dispatched by hand rather than with
 * z.discriminatedUnion, which cannot take the ffmpeg schema (a pipe: it
 * checks the raw keys before defaults, and resolves `realtime` after).
 */
const sourceSchema = z.unknown().transform((raw, ctx): SourceConfig => {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
    ctx.issues.push({ code: 'custom', input: raw, message: `expected an object with a kind (${SOURCE_KINDS.join(', ')}), got ${describe(raw)}` });
    return z.NEVER;
  }
  const kind = (raw as { kind?: unknown }).kind;
  const schema = typeof kind === 'string' && Object.hasOwn(SOURCE_SCHEMAS, kind) ? SOURCE_SCHEMAS[kind as SourceKind] : undefined;
  if (!schema) {
    ctx.issues.push({ code: 'custom', input: kind, path: ['kind'], message: `expected one of ${SOURCE_KINDS.join(', ')}, got ${describe(kind)}` });
    return z.NEVER;
  }
  const result = schema.safeParse(raw, { reportInput: true });
  if (result.success) return result.data as SourceConfig;
  for (const issue of result.error.issues) ctx.issues.push(issue as never);
  return z.NEVER;
});

/** A stream as it runs: templates applied, variables filled, defaults in place. */
export const streamSchema = z
  .strictObject({
    source: sourceSchema,
    ...settingsShape,
  })
  .check((ctx) => {
    if (ctx.value.on_demand && ctx.value.source.kind === 'push') {
      ctx.issues.push({ code: 'custom', input: ctx.value, path: ['on_demand'], message: 'cannot be used with a push source: its publisher decides when it runs' });
    }
  });

/** Keys a stream may have in the file besides the resolved ones. */
export const STREAM_FILE_KEYS = ['use', 'vars'] as const;

/** A template: any part of a stream definition; checked in full once a stream uses it. */
export const templateSchema = z.strictObject(
  Object.fromEntries([...Object.keys(settingsShape), 'source'].map((key) => [key, z.unknown().optional()])) as Record<string, z.ZodOptional<z.ZodUnknown>>,
);

export const templateName = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, { message: 'must be a template name: 1-64 characters of A-Z, a-z, 0-9, "_" and "-"' });

/** Everything but `defaults`, `templates` and `streams`, which the loader checks piece by piece. */
export const topSchema = z.strictObject({
  listen: z
    .strictObject({
      /** Default: --host, else 127.0.0.1. */
      host: z.string().min(1).optional(),
      /** Default: --port, else $PORT, else 8080. */
      port: integer(0, 65535).optional(),
      /** HTTPS and WSS without a proxy; the files are read again on SIGHUP. */
      tls: z
        .strictObject({
          cert: z.string().min(1),
          key: z.string().min(1),
          passphrase: z.string().min(1).optional(),
        })
        .optional(),
      /** Peers whose X-Forwarded-For names the client (a reverse proxy); others are the client themselves. */
      trusted_proxies: cidrList.default([]),
      /** Worker threads that accept connections on the same port and serve viewers beside the main thread (docs/config.md). */
      fanout_threads: integer(0, 16).default(0),
    })
    .prefault({}),
  /** The operator routes: /api (but reading streams), /stats, /metrics. */
  admin: z
    .strictObject({
      /** Presented as Authorization: Bearer TOKEN (or as the password of Basic authentication, for the /stats page). */
      token: secret(16).optional(),
      /** IP allow-list of the operator routes (CIDRs); empty: any address. */
      allow: cidrList.default([]),
      /** Start on a non-loopback address without a token (the operator routes are then open to the network). */
      allow_insecure: boolean().default(false),
    })
    .prefault({}),
  /** Signed viewer links for streams with access: signed. */
  links: z
    .strictObject({
      /** The HMAC-SHA256 key links are signed with. Changing it revokes every link. */
      secret: secret(16).optional(),
      /** The longest lifetime a link may be minted with. */
      max_ttl: duration(1, 366 * 86_400).default(30 * 86_400),
    })
    .prefault({}),
  /** Tokens for streams with access: jwt. */
  jwt: z
    .strictObject({
      /** Accepted signature algorithms; `none` never is. */
      algorithms: z.array(z.enum(['HS256', 'RS256'])).min(1).default(['HS256']),
      /** HS256 key. */
      secret: secret(32).optional(),
      /** RS256 key: a PEM file, or the PEM text itself. */
      public_key: z.string().min(1).optional(),
      /** The `aud` a token must name. */
      audience: z.string().min(1).default('fragcast'),
      /** The `iss` a token must name, when set. */
      issuer: z.string().min(1).optional(),
      /** The claim that lists the streams a token opens (an array of names, or "*"). */
      streams_claim: z.string().regex(/^[A-Za-z_][A-Za-z0-9_.:-]{0,63}$/).default('streams'),
      /** Clock skew allowed on exp and nbf. */
      leeway: duration(0, 600).default(30),
    })
    .optional(),
  /** Limits against abuse (server/http/limits.ts, docs/security.md). */
  limits: z
    .strictObject({
      /** Viewers (WebSocket and live.mp4) of the whole server at once. */
      viewers: integer(1, 10_000_000).default(10_000),
      /** Viewer connections, waiting HLS requests included, from one client address at once. */
      viewers_per_ip: integer(1, 1_000_000).default(64),
      /** Request headers larger than this (names and values) are answered 431. */
      header_size: size(1024, MIB).default(16 * KIB),
      /** A JSON request body must arrive within this. */
      body_timeout: duration(1, 600).default(10),
      /** Control messages a WebSocket viewer may send per second (averaged over a few seconds). */
      viewer_messages: integer(1, 10_000).default(20),
    })
    .prefault({}),
  /** LL-HLS and its DVR window, for every stream (outputs/hls/options.ts, docs/hls.md). Read at startup. */
  hls: z
    .strictObject({
      part_target: duration(0.05, 2).default(HLS_DEFAULTS.partTargetSeconds),
      segment_target: integer(1, 30).default(HLS_DEFAULTS.segmentTargetSeconds),
      window: duration(4, 86_400).default(HLS_DEFAULTS.windowSeconds),
      max_memory: size(4 * MIB, 64 * GIB).default(HLS_DEFAULTS.maxMemoryBytes),
      spill_directory: z.string().min(1).optional(),
      max_spill: size(0, 16 * 1024 * GIB).default(HLS_DEFAULTS.maxSpillBytes),
    })
    .check((ctx) => {
      const { part_target: part, segment_target: segment, window } = ctx.value;
      for (const { option, message } of hlsDurationProblems(part, segment, window, 'segment_target')) {
        ctx.issues.push({ code: 'custom', input: ctx.value, path: [option === 'part' ? 'part_target' : 'window'], message });
      }
    })
    .prefault({}),
  log: z
    .strictObject({
      level: z.enum(LOG_LEVELS).default('info'),
      /** Where each source's ffmpeg stderr goes, as NAME.log; unset: into the main log only. */
      directory: z.string().min(1).optional(),
      max_file_size: size(64 * KIB, GIB).default(10 * MIB),
      keep_files: integer(0, 100).default(3),
    })
    .prefault({}),
  ffmpeg: z
    .strictObject({
      /** Default: --ffmpeg, $FFMPEG_PATH, ffmpeg on $PATH, then the npm package. */
      path: z.string().min(1).optional(),
      /** Default: ffprobe beside ffmpeg, then on $PATH. */
      ffprobe_path: z.string().min(1).optional(),
    })
    .prefault({}),
  defaults: z.unknown().optional(),
  templates: z.unknown().optional(),
  streams: z.custom<unknown>((value) => value !== undefined, { message: 'is required: a map of stream name to definition (it may be empty: {})' }),
});

export type StreamSettings = z.output<typeof settingsSchema>;
export type StreamConfig = z.output<typeof streamSchema>;
export type TranscodeConfig = z.output<ReturnType<typeof transcodeSchema>>;
type Top = z.output<typeof topSchema>;

/** The validated configuration: frozen, every default in place. */
export interface FragcastConfig {
  readonly listen: Readonly<Top['listen']>;
  readonly admin: Readonly<Top['admin']>;
  readonly links: Readonly<Top['links']>;
  readonly jwt: Readonly<NonNullable<Top['jwt']>> | undefined;
  readonly limits: Readonly<Top['limits']>;
  readonly hls: Readonly<Top['hls']>;
  readonly log: Readonly<Top['log']>;
  readonly ffmpeg: Readonly<Top['ffmpeg']>;
  readonly defaults: StreamSettings;
  /** In the file's order. */
  readonly streams: Readonly<Record<string, StreamConfig>>;
}

export { describe };
