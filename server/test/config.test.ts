import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { parseConfigText, type LoadedConfig } from '../config/load.ts';
import { redactConfig, secretsOf } from '../config/redact.ts';
import { ffmpegSourceArgs, planCodecs, type FfmpegInputConfig } from '../sources/config-args.ts';
import { hlsOptions } from '../config/runtime.ts';
import { ConfigError } from '../errors.ts';
import { ROOT } from '../../test/helpers/fixtures.ts';

const ENV = {
  CAM_PASSWORD: 'hunter2hunter2',
  STUDIO_KEY: 'studio-key-1234',
  PORT_FROM_ENV: '9123',
  FRAGCAST_ADMIN_TOKEN: 'admin-token-0123456789',
  FRAGCAST_LINK_SECRET: 'link-secret-0123456789',
  FRAGCAST_JWT_SECRET: 'jwt-secret-0123456789-0123456789-01',
  MATCH_PUBLISH_KEY: 'match-key-0123',
};

function load(text: string, env: NodeJS.ProcessEnv = ENV, file = 'test.yaml'): LoadedConfig {
  return parseConfigText(text, file, env);
}

/** The problems of a bad file, as "path: message" lines. */
function problems(text: string, env: NodeJS.ProcessEnv = ENV, file = 'test.yaml'): string[] {
  try {
    load(text, env, file);
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    assert.equal(error.code, 'CONFIG_INVALID');
    return error.issues.map((issue) => (issue.path ? `${issue.path}: ${issue.message}` : issue.message));
  }
  assert.fail('the file was accepted');
}

test('a good file resolves with every default in place, frozen, in the file order', () => {
  const { config } = load(`
listen: { port: "\${env:PORT_FROM_ENV}" }
defaults:
  cache: { max_duration: 6s }
  restart: { initial_delay: 250ms }
streams:
  zeta: { source: { kind: demo } }
  alpha:
    source: { kind: ffmpeg, input: /media/a.mp4, loop: true }
    viewers: { max_buffered: 2MiB }
    cache: { max_size: 8MiB }
`);
  assert.equal(config.listen.port, 9123, 'a string of digits from the environment is a port');
  assert.deepEqual(Object.keys(config.streams), ['zeta', 'alpha']);
  const alpha = config.streams.alpha!;
  assert.deepEqual(alpha.cache, { max_size: 8 * 1024 * 1024, max_duration: 6, min_gops: 2 }, 'defaults, then the stream');
  assert.deepEqual(alpha.restart, { initial_delay: 0.25, max_delay: 30, healthy_after: 30 });
  assert.deepEqual(alpha.viewers, { max_buffered: 2 * 1024 * 1024, resume_buffered: 256 * 1024, max_behind: 10, max: 0 });
  assert.equal(alpha.on_demand, false);
  assert.equal(alpha.access, 'public');
  assert.deepEqual(alpha.allow, []);
  assert.deepEqual(config.limits, { viewers: 10_000, viewers_per_ip: 64, header_size: 16 * 1024, body_timeout: 10, viewer_messages: 20 });
  assert.deepEqual(config.admin, { allow: [], allow_insecure: false });
  assert.equal(config.jwt, undefined);
  assert.deepEqual(alpha.source, {
    kind: 'ffmpeg',
    input: '/media/a.mp4',
    input_options: [],
    loop: true,
    realtime: true,
    codecs: 'auto',
    audio: true,
    transcode: { video_bitrate: 2_500_000, gop: 1, preset: 'veryfast', audio_bitrate: 96_000 },
  });
  assert.deepEqual(config.streams.zeta!.source, { kind: 'demo', width: 1280, height: 720, fps: 30, video_bitrate: 2_500_000 });
  assert.equal(config.log.level, 'info');
  assert.ok(Object.isFrozen(config) && Object.isFrozen(alpha.source) && Object.isFrozen(alpha.cache));
  assert.throws(() => ((alpha.cache as { min_gops: number }).min_gops = 9), TypeError);
});

test('realtime (-re) defaults on for files and lavfi, off for URLs and devices', () => {
  const { config } = load(`
streams:
  file: { source: { kind: ffmpeg, input: /a.mp4 } }
  graph: { source: { kind: ffmpeg, format: lavfi, input: "testsrc2" } }
  cam: { source: { kind: ffmpeg, input: "rtsp://10.0.0.1/s" } }
  grab: { source: { kind: ffmpeg, format: v4l2, input: /dev/video0 } }
  forced: { source: { kind: ffmpeg, input: "http://x/y.mp4", realtime: true } }
`);
  const realtime = Object.fromEntries(Object.entries(config.streams).map(([name, s]) => [name, (s.source as FfmpegInputConfig).realtime]));
  assert.deepEqual(realtime, { file: true, graph: true, cam: false, grab: false, forced: true });
});

test('JSON is accepted for a .json file, with JSON syntax errors reported', () => {
  assert.equal(Object.keys(load('{"streams": {"a": {"source": {"kind": "demo"}}}}', ENV, 'x.json').config.streams).length, 1);
  assert.match(problems('{"streams": ', ENV, 'x.json')[0]!, /^not valid JSON/);
  assert.match(problems('streams:\n  a: [1\n')[0]!, /^YAML syntax at line \d+, column \d+/);
  assert.deepEqual(problems('streams:\n  a: { source: { kind: demo } }\n  a: { source: { kind: demo } }\n').length, 1, 'a duplicate key is an error');
  assert.deepEqual(problems(''), ['the file is empty: it needs at least a "streams:" map']);
});

test('a bad file is refused with every problem at once, each naming its key path and what was expected', () => {
  assert.deepEqual(
    problems(`
listen: { port: 99999, hots: x }
log: { level: loud }
defaults:
  cache: { max_size: lots }
  viewers: { max_buffered: 64KiB, resume_buffered: 1MiB }
templates:
  cam:
    use: other
    source: { kind: ffmpeg, input: "rtsp://\${ip}/" }
streams:
  Bad Name: { source: { kind: demo } }
  a: { use: cam, vars: { ip: 1 } }
  b: { use: nope }
  c: { source: { kind: fmpeg } }
  d: { source: { kind: ffmpeg } }
  e: { source: { kind: ffmpeg, args: [-i, x, out.mp4], loop: true } }
  f: { source: { kind: push, key: short }, on_demand: yes }
  g: { source: { kind: relay, url: "ftp://x/y" }, restart: { initial_delay: 2m, max_delay: 1m } }
  h: { source: { kind: variant, from: nobody } }
  i: { source: { kind: variant, from: j } }
  j: { source: { kind: variant, from: i } }
  k: { source: { kind: ffmpeg, input: "-f" }, sourc: 1 }
  l: { source: { kind: ffmpeg, input: /a.mp4, codecs: maybe, transcode: { video_bitrate: fast, preset: warp } } }
  m: { source: { kind: demo, width: 5000 }, cache: { max_duration: -1 } }
`),
    [
      'listen.port: must be at most 65535, got 99999',
      'listen.hots: unknown key',
      'log.level: expected "fatal" or "error" or "warn" or "info" or "debug" or "trace" or "silent", got "loud"',
      'defaults.cache.max_size: expected a size such as 256KiB, 32MiB or 10MB (a bare number is bytes), got "lots"',
      'defaults.viewers.resume_buffered: must not exceed max_buffered (65536 bytes)',
      'templates.cam.use: a template cannot use another template',
      'streams["Bad Name"]: stream names are 1-64 characters of a-z, 0-9, "_" and "-"',
      'streams.b.use: template "nope" is not defined (defined: cam)',
      'streams.c.source.kind: expected one of ffmpeg, push, relay, variant, demo, got "fmpeg"',
      'streams.d.source.input: is required (or give the complete ffmpeg argument list as args)',
      'streams.e.source.loop: cannot be combined with args (args is the complete ffmpeg argument list)',
      'streams.f.source.key: must be at least 8 characters',
      'streams.f.on_demand: expected boolean, got "yes"',
      'streams.g.source.url: must be a ws://, wss://, http:// or https:// URL of a stream',
      'streams.g.restart.initial_delay: must not exceed max_delay (60 s)',
      'streams.h.source.from: stream "nobody" is not defined in this file',
      'streams.i.source.from: variants form a cycle: i → j → i',
      'streams.j.source.from: variants form a cycle: j → i → j',
      'streams.k.source.input: must not start with "-" (ffmpeg would read it as an option)',
      'streams.k.sourc: unknown key',
      'streams.l.source.codecs: expected "auto" or "copy" or "transcode", got "maybe"',
      'streams.l.source.transcode.video_bitrate: expected a bitrate such as 800k or 2.5M (a bare number is bits per second), got "fast"',
      'streams.l.source.transcode.preset: expected "ultrafast" or "superfast" or "veryfast" or "faster" or "fast" or "medium" or "slow", got "warp"',
      'streams.m.source.width: must be at most 3840, got 5000',
      'streams.m.cache.max_duration: expected a duration such as 500ms, 10s or 2m (a bare number is seconds), got -1',
    ],
  );
  assert.deepEqual(problems('streams: { e: { source: { kind: ffmpeg, args: [-i, x, out.mp4] } } }'), [
    "streams.e.source.args: must end with pipe:1 (fragcast reads fragmented MP4 from ffmpeg's stdout)",
  ]);
  assert.deepEqual(problems('listen: {}\n'), ['streams: is required: a map of stream name to definition (it may be empty: {})']);
  assert.deepEqual(problems('streams: { a: { source: { kind: push, key: aaaaaaaaaa }, on_demand: true } }'), [
    'streams.a.on_demand: cannot be used with a push source: its publisher decides when it runs',
  ]);
});

test('templates and ${vars}: twenty cameras from one definition; undefined, unused and misplaced variables are errors', () => {
  const cameras = Array.from({ length: 20 }, (_, i) => `  cam${i + 1}: { use: cam, vars: { ip: 10.0.0.${i + 1} } }`).join('\n');
  const { config } = load(`
templates:
  cam:
    source:
      kind: ffmpeg
      input: rtsp://admin:\${env:CAM_PASSWORD}@\${ip}/\${stream}
      input_options: [-rtsp_transport, tcp]
    on_demand: true
streams:
${cameras}
  cam21: { use: cam, vars: { ip: 10.0.0.21 }, on_demand: false, source: { input_options: [-rtsp_transport, udp] } }
`);
  assert.equal(Object.keys(config.streams).length, 21);
  const cam7 = config.streams.cam7!.source as FfmpegInputConfig;
  assert.equal(cam7.input, 'rtsp://admin:hunter2hunter2@10.0.0.7/cam7', '${stream} is the stream name');
  assert.deepEqual(cam7.input_options, ['-rtsp_transport', 'tcp']);
  assert.equal(config.streams.cam7!.on_demand, true);
  const cam21 = config.streams.cam21!;
  assert.equal(cam21.on_demand, false, 'the stream overrides its template');
  assert.deepEqual((cam21.source as FfmpegInputConfig).input_options, ['-rtsp_transport', 'udp'], 'lists replace, they do not concatenate');

  assert.deepEqual(
    problems(`
templates:
  cam: { source: { kind: ffmpeg, input: "rtsp://\${ip}/\${path}" } }
streams:
  a: { use: cam, vars: { ip: x } }
  b: { use: cam, vars: { ip: x, path: p, extra: 1 } }
  c: { source: { kind: demo }, cache: { max_size: "\${size}" } }
  d: { use: cam, vars: { ip: "\${env:NOPE}", path: p } }
  e: { use: cam, vars: { ip: x, path: p, stream: y } }
  f: { use: cam, vars: { ip: "x", path: "\${bad ref}" } }
`),
    [
      'streams.a.source.input: variable ${path} is not defined (defined: stream, ip)',
      'streams.b.vars.extra: is not used by the source of template "cam" (a misspelt name?)',
      `streams.c.cache.max_size: variable \${size} cannot be used here: variables are filled only in a stream's source (use \${env:NAME} for the environment, $\${ for a literal "\${")`,
      'streams.d.vars.ip: environment variable NOPE is not set',
      "streams.e.vars.stream: ${stream} is built in (the stream's name) and cannot be set",
      'streams.f.vars.path: "${bad ref}" is not a valid reference: use ${name} for a variable, ${env:NAME} for the environment, $${ for a literal "${"',
    ],
  );
});

test('a variable cannot smuggle arguments: it stays inside its one argument, and cannot start one with "-"', () => {
  const template = `
templates:
  t:
    source:
      kind: ffmpeg
      args: [-re, -i, "\${url}", -c, copy, -f, mp4, -movflags, "\${flags}", pipe:1]
streams:
  s: { use: t, vars: { url: "/a.mp4 -f lavfi -i /etc/passwd; rm -rf /", flags: "frag_keyframe+empty_moov" } }
`;
  const source = load(template).config.streams.s!.source as { args: string[] };
  assert.deepEqual(source.args, ['-re', '-i', '/a.mp4 -f lavfi -i /etc/passwd; rm -rf /', '-c', 'copy', '-f', 'mp4', '-movflags', 'frag_keyframe+empty_moov', 'pipe:1']);
  assert.deepEqual(problems(template.replace('frag_keyframe+empty_moov', '-i /etc/passwd')), ['streams.s.vars.flags: must not start with "-": ffmpeg would read the value as an option']);
  assert.deepEqual(problems(template.replace('frag_keyframe+empty_moov', 'a\\nb')), ['streams.s.vars.flags: cannot contain a NUL byte or a line break']);
  // An environment value or a var containing a reference stays literal: one pass, never rescanned.
  const literal = load(template.replace('frag_keyframe+empty_moov', '${env:SNEAKY}'), { SNEAKY: '${url}' }).config.streams.s!.source as { args: string[] };
  assert.equal(literal.args[8], '${url}');
  assert.equal((load(`streams: { s: { source: { kind: ffmpeg, input: "a$\${b}.mp4" } } }`).config.streams.s!.source as FfmpegInputConfig).input, 'a${b}.mp4', '$${ is a literal ${');

  // Built from configuration, an input with spaces is one argv element after -i.
  const built = load(`streams: { s: { source: { kind: ffmpeg, input: "/media/my file -f lavfi.mp4" } } }`).config.streams.s!.source as FfmpegInputConfig;
  const args = ffmpegSourceArgs(built, planCodecs(built, undefined));
  assert.equal(args[args.indexOf('-i') + 1], '/media/my file -f lavfi.mp4');
});

test('codecs: auto copies browser-playable tracks and transcodes the rest', () => {
  const source = load(`streams: { s: { source: { kind: ffmpeg, input: rtsp://cam/s } } }`).config.streams.s!.source as FfmpegInputConfig;
  const plan = (tracks: { kind: 'video' | 'audio'; codec: string; pixelFormat?: string }[]): unknown => planCodecs(source, tracks.map((t) => ({ pixelFormat: undefined, ...t })));
  assert.deepEqual(plan([{ kind: 'video', codec: 'h264', pixelFormat: 'yuv420p' }, { kind: 'audio', codec: 'aac' }]), { video: 'copy', audio: 'copy' });
  assert.deepEqual(plan([{ kind: 'video', codec: 'h264', pixelFormat: 'yuvj420p' }, { kind: 'audio', codec: 'pcm_alaw' }]), { video: 'copy', audio: 'encode' });
  assert.deepEqual(plan([{ kind: 'video', codec: 'hevc' }]), { video: 'encode', audio: 'encode' });
  assert.deepEqual(plan([{ kind: 'video', codec: 'h264', pixelFormat: 'yuv444p' }]), { video: 'encode', audio: 'encode' });
  const args = ffmpegSourceArgs(source, { video: 'copy', audio: 'encode' });
  assert.deepEqual(args.slice(args.indexOf('-c:v'), args.indexOf('-c:v') + 2), ['-c:v', 'copy']);
  assert.deepEqual(args.slice(args.indexOf('-c:a'), args.indexOf('-c:a') + 3), ['-c:a', 'aac', '-b:a']);
  assert.ok(!args.includes('-re'), 'a camera is live: no -re');
});

test('redaction: environment values show as their reference, push keys and URL passwords as <redacted>', () => {
  const loaded = load(`
streams:
  cam: { source: { kind: ffmpeg, input: "rtsp://admin:\${env:CAM_PASSWORD}@10.0.0.1/s" } }
  literal: { source: { kind: ffmpeg, input: "rtsp://admin:plaintext99@10.0.0.2/s", args: null } }
  push: { source: { kind: push, key: "\${env:STUDIO_KEY}" } }
  inline: { source: { kind: push, key: "written-in-the-file" } }
`.replace(', args: null', ''));
  const shown = JSON.stringify(redactConfig(loaded));
  for (const secret of ['hunter2hunter2', 'plaintext99', 'studio-key-1234', 'written-in-the-file']) assert.ok(!shown.includes(secret), `${secret} leaked`);
  const streams = redactConfig(loaded).streams;
  assert.equal((streams.cam!.source as FfmpegInputConfig).input, 'rtsp://admin:${env:CAM_PASSWORD}@10.0.0.1/s');
  assert.equal((streams.literal!.source as FfmpegInputConfig).input, 'rtsp://admin:<redacted>@10.0.0.2/s');
  assert.equal((streams.push!.source as { key: string }).key, '<redacted>');
  assert.deepEqual(secretsOf(loaded.config.streams.literal!, loaded.envUses), ['plaintext99']);
  assert.deepEqual(secretsOf(loaded.config.streams.cam!, loaded.envUses), ['hunter2hunter2']);
});

test('every example in config/ is valid, and docs/config.md documents every key', () => {
  const examples = readdirSync(`${ROOT}config`).filter((name) => /\.(ya?ml|json)$/.test(name));
  assert.ok(examples.length >= 3, `examples: ${examples.join(', ')}`);
  const keys = new Set<string>();
  const collect = (node: unknown, parentIsMap: boolean): void => {
    if (!node || typeof node !== 'object' || Array.isArray(node)) return;
    for (const [key, value] of Object.entries(node)) {
      if (parentIsMap) keys.add(key);
      collect(value, key !== 'streams');
    }
  };
  for (const name of examples) {
    const loaded = parseConfigText(readFileSync(`${ROOT}config/${name}`, 'utf8'), `${ROOT}config/${name}`, ENV);
    assert.ok(Object.keys(loaded.config.streams).length > 0, name);
    collect(loaded.config, true);
  }
  const doc = readFileSync(`${ROOT}docs/config.md`, 'utf8');
  // Documented as `key` or as a dotted path ending in it (`log.level`).
  const missing = [...keys].filter((key) => !new RegExp(`\`([a-z_]+\\.)*${key}\``).test(doc));
  assert.deepEqual(missing, [], 'keys missing from docs/config.md');
  assert.ok(keys.size > 40, `${keys.size} keys checked`);
});

test('hls: the DVR window and parts from the file, with units; rules between keys are reported at their key', () => {
  const { config } = load(`
hls: { part_target: 100ms, segment_target: 1, window: 30s, max_memory: 8MiB, spill_directory: /var/tmp/fragcast-hls }
streams: {}
`);
  assert.deepEqual(hlsOptions(config), {
    partTargetSeconds: 0.1,
    segmentTargetSeconds: 1,
    windowSeconds: 30,
    maxMemoryBytes: 8 * 1024 * 1024,
    spillDir: '/var/tmp/fragcast-hls',
    maxSpillBytes: 4 * 1024 * 1024 * 1024,
  });
  assert.equal(hlsOptions(load('streams: {}').config).windowSeconds, 120, 'the default window');
  assert.deepEqual(problems(`
hls: { window: 3s, max_memory: 1MiB }
streams: {}
`), ['hls.window: must be from 4s to 86400s, got "3s"', 'hls.max_memory: must be from 4MiB to 64GiB, got "1MiB"']);
  assert.deepEqual(problems(`
hls: { part_target: 1.5s, segment_target: 2, window: 4s }
streams: {}
`), ['hls.part_target: must be at most half of segment_target (2 s)', 'hls.window: must be at least 4 × segment_target (8 s)']);
});
