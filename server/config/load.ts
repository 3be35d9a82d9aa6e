import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { ConfigError, FragcastError } from '../errors.ts';
import { isValidStreamName } from '../streams/stream-name.ts';
import type { z } from 'zod';
import { interpolate, type EnvUse } from './interpolate.ts';
import { publicKeyOf } from './pem.ts';
import { formatPath, fromZod, type ConfigIssue, type KeyPath } from './issues.ts';
import { settingsSchema, streamSchema, templateName, templateSchema, topSchema, type FragcastConfig, type StreamConfig, type StreamSettings } from './schema.ts';
import { describe } from './units.ts';

/** A validated configuration and what the redactor needs to know about it. */
export interface LoadedConfig {
  readonly config: FragcastConfig;
  /** Absolute path of the file, or undefined for the built-in demo. */
  readonly file: string | undefined;
  /** Every `${env:NAME}` the file used, with its value: shown as the reference, never the value. */
  readonly envUses: readonly EnvUse[];
}

/** What fragcast runs without --config: the demo stream. */
export const BUILT_IN_CONFIG = { streams: { demo: { source: { kind: 'demo' } } } };

/** Built-in variable in a stream's source: the stream's own name. */
const STREAM_VAR = 'stream';
const VAR_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Reads, parses and validates a configuration file. Throws CONFIG_UNREADABLE or a ConfigError listing every problem. */
export function loadConfigFile(file: string, env: NodeJS.ProcessEnv): LoadedConfig {
  const path = resolve(file);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new FragcastError('CONFIG_UNREADABLE', { file: path, why: (error as NodeJS.ErrnoException).code ?? String(error) });
  }
  return parseConfigText(text, path, env);
}

/** Parses YAML (or JSON, for a .json file) and validates it. */
export function parseConfigText(text: string, file: string, env: NodeJS.ProcessEnv): LoadedConfig {
  let raw: unknown;
  if (file.endsWith('.json')) {
    try {
      raw = JSON.parse(text);
    } catch (error) {
      throw new ConfigError(file, [{ path: '', message: `not valid JSON: ${(error as Error).message}` }]);
    }
  } else {
    // YAML 1.2 core schema: "yes"/"no" stay strings; duplicate keys are errors; alias expansion is bounded.
    const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: true });
    if (doc.errors.length) {
      throw new ConfigError(
        file,
        doc.errors.map((error) => {
          const what = error.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
          return { path: '', message: `YAML syntax${error.linePos ? ` at line ${error.linePos[0].line}, column ${error.linePos[0].col}` : ''}: ${what}` };
        }),
      );
    }
    raw = doc.toJS({ maxAliasCount: 100 });
  }
  return resolveConfig(raw, file, env);
}

/** Validates a parsed configuration: env references, templates and variables, schema, cross-stream checks. */
export function resolveConfig(raw: unknown, file: string | undefined, env: NodeJS.ProcessEnv): LoadedConfig {
  const shownFile = file ?? 'built-in';
  if (!isPlainObject(raw)) {
    throw new ConfigError(shownFile, [
      { path: '', message: raw == null ? 'the file is empty: it needs at least a "streams:" map' : `expected a map of keys at the top level, got ${describe(raw)}` },
    ]);
  }
  const issues: ConfigIssue[] = [];
  const envUses: EnvUse[] = [];
  /** Paths whose reference could not be filled: the schema's complaint about the unfilled text would only repeat it. */
  const unfilled = new Set<string>();
  const problem = (path: KeyPath, message: string): void => {
    const at = formatPath(path);
    unfilled.add(at);
    issues.push({ path: at, message });
  };
  const onEnv = (use: EnvUse): void => void envUses.push(use);

  // Sources are filled later, per stream, together with the stream's vars: one pass per string.
  const deferred = (path: KeyPath): boolean => path.length === 3 && (path[0] === 'templates' || path[0] === 'streams') && path[2] === 'source';
  const tree = substitute(raw, [], { env, onEnv }, problem, deferred) as Record<string, unknown>;

  const top = topSchema.safeParse(tree, { reportInput: true });
  if (!top.success) issues.push(...fromZod(top.error.issues, []));

  const defaults = settingsSchema.safeParse(tree.defaults ?? {}, { reportInput: true });
  if (!defaults.success) issues.push(...fromZod(defaults.error.issues, ['defaults']));

  const templates = checkTemplates(tree.templates, problem, issues);
  const rawStreams = tree.streams;
  const streams: Record<string, StreamConfig> = {};
  if (rawStreams !== undefined && !isPlainObject(rawStreams)) problem(['streams'], `expected a map of stream name to definition, got ${describe(rawStreams)}`);
  else if (rawStreams) {
    for (const [name, definition] of Object.entries(rawStreams)) {
      const stream = resolveStream(name, definition, { env, onEnv, defaults: defaults.success ? defaults.data : undefined, templates }, problem, issues);
      if (stream) streams[name] = stream;
    }
    checkVariants(streams, new Set(Object.keys(rawStreams)), problem);
  }

  if (top.success && defaults.success) checkAccess(top.data, [['defaults', defaults.data], ...Object.entries(streams).map(([name, stream]) => [`streams.${name}`, stream] as const)], problem);

  if (issues.length || !top.success || !defaults.success) {
    const kept = issues.filter((issue, i) => !unfilled.has(issue.path) || issues.findIndex((other) => other.path === issue.path) === i);
    throw new ConfigError(shownFile, inFileOrder(kept, raw));
  }
  const { listen, admin, links, jwt, limits, hls, log, ffmpeg } = top.data;
  const config: FragcastConfig = { listen, admin, links, jwt, limits, hls, log, ffmpeg, defaults: defaults.data, streams };
  return { config: deepFreeze(config), file, envUses: Object.freeze(envUses) };
}

/** Problems sorted as the file reads: by top-level key, then by stream or template, in the file's order. */
function inFileOrder(issues: readonly ConfigIssue[], raw: Record<string, unknown>): ConfigIssue[] {
  const rank = (issue: ConfigIssue): [number, number] => {
    const [, first = '', second = ''] = /^([^.[]*)(?:\.([^.[]+)|\[("[^"]*")\])?/.exec(issue.path) ?? [];
    const section = raw[first];
    const keys = section && typeof section === 'object' ? Object.keys(section) : [];
    return [Object.keys(raw).indexOf(first), keys.indexOf(second.startsWith('"') ? (JSON.parse(second) as string) : second)];
  };
  const ranked = issues.map((issue) => ({ issue, rank: rank(issue) }));
  ranked.sort((a, b) => a.rank[0] - b.rank[0] || a.rank[1] - b.rank[1]);
  return ranked.map(({ issue }) => issue);
}

interface StreamScope {
  readonly env: NodeJS.ProcessEnv;
  readonly onEnv: (use: EnvUse) => void;
  readonly defaults: StreamSettings | undefined;
  /** Valid templates by name; an invalid one maps to undefined (its errors are reported once, at the template). */
  readonly templates: ReadonlyMap<string, Record<string, unknown> | undefined>;
}

type Report = (path: KeyPath, message: string) => void;

function checkTemplates(raw: unknown, problem: Report, issues: ConfigIssue[]): Map<string, Record<string, unknown> | undefined> {
  const templates = new Map<string, Record<string, unknown> | undefined>();
  if (raw === undefined) return templates;
  if (!isPlainObject(raw)) {
    problem(['templates'], `expected a map of template name to partial stream definition, got ${describe(raw)}`);
    return templates;
  }
  for (const [name, template] of Object.entries(raw)) {
    const path = ['templates', name];
    let valid = true;
    if (!templateName.safeParse(name).success) {
      problem(path, 'template names are 1-64 characters of A-Z, a-z, 0-9, "_" and "-"');
      valid = false;
    }
    if (isPlainObject(template) && 'use' in template) {
      problem([...path, 'use'], 'a template cannot use another template');
      valid = false;
    }
    if (isPlainObject(template) && 'vars' in template) {
      problem([...path, 'vars'], 'vars belong to the stream that uses the template, not to the template');
      valid = false;
    }
    const { use: _use, vars: _vars, ...rest } = isPlainObject(template) ? template : {};
    const parsed = templateSchema.safeParse(isPlainObject(template) ? rest : template, { reportInput: true });
    if (!parsed.success) {
      issues.push(...fromZod(parsed.error.issues, path));
      valid = false;
    }
    templates.set(name, valid ? rest : undefined);
  }
  return templates;
}

function resolveStream(name: string, definition: unknown, scope: StreamScope, problem: Report, issues: ConfigIssue[]): StreamConfig | undefined {
  const path = ['streams', name];
  if (!isValidStreamName(name)) {
    problem(path, 'stream names are 1-64 characters of a-z, 0-9, "_" and "-"');
    return undefined;
  }
  if (!isPlainObject(definition)) {
    problem(path, `expected a stream definition (a map with at least "source"), got ${describe(definition)}`);
    return undefined;
  }
  const { use, vars: rawVars, ...own } = definition;
  let template: Record<string, unknown> | undefined;
  if (use !== undefined) {
    if (typeof use !== 'string' || !scope.templates.has(use)) {
      const known = [...scope.templates.keys()];
      problem([...path, 'use'], `template ${describe(use)} is not defined (${known.length ? `defined: ${known.join(', ')}` : 'the file has no templates'})`);
      return undefined;
    }
    template = scope.templates.get(use);
    // The template's own errors were reported at the template.
    if (!template) return undefined;
  }
  const vars = readVars(name, rawVars, [...path, 'vars'], problem);
  if (!vars) return undefined;

  const merged = deepMerge(deepMerge(scope.defaults ?? {}, template ?? {}), own) as Record<string, unknown>;
  const used = new Set<string>();
  merged.source = substitute(merged.source, [...path, 'source'], { env: scope.env, vars, onEnv: scope.onEnv, onVar: (v) => used.add(v) }, problem, () => false);
  for (const key of vars.keys()) {
    if (key !== STREAM_VAR && !used.has(key)) problem([...path, 'vars', key], `is not used by the source${use ? ` of template "${use}"` : ''} (a misspelt name?)`);
  }
  const parsed = streamSchema.safeParse(merged, { reportInput: true });
  if (!parsed.success) {
    issues.push(...fromZod(parsed.error.issues, path));
    return undefined;
  }
  return parsed.data;
}

/** A stream's vars as strings. A value may not start with "-": as a whole argument it would be an ffmpeg option. */
function readVars(stream: string, raw: unknown, path: KeyPath, problem: Report): Map<string, string> | undefined {
  const vars = new Map<string, string>([[STREAM_VAR, stream]]);
  if (raw === undefined) return vars;
  if (!isPlainObject(raw)) {
    problem(path, `expected a map of variable name to value, got ${describe(raw)}`);
    return undefined;
  }
  let ok = true;
  for (const [key, value] of Object.entries(raw)) {
    const fail = (message: string): void => {
      problem([...path, key], message);
      ok = false;
    };
    if (!VAR_NAME.test(key)) fail('variable names are letters, digits and "_", not starting with a digit');
    else if (key === STREAM_VAR) fail(`\${${STREAM_VAR}} is built in (the stream's name) and cannot be set`);
    else if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') fail(`expected a string or a number, got ${describe(value)}`);
    else if (String(value).startsWith('-')) fail('must not start with "-": ffmpeg would read the value as an option');
    else if (/[\0\r\n]/.test(String(value))) fail('cannot contain a NUL byte or a line break');
    else vars.set(key, String(value));
  }
  return ok ? vars : undefined;
}

/** Streams may only use an access mode whose keys are configured; each jwt algorithm needs its key. */
function checkAccess(top: z.output<typeof topSchema>, users: readonly (readonly [string, { readonly access: string }])[], problem: Report): void {
  const at = (where: string): KeyPath => [...where.split('.'), 'access'];
  for (const [where, { access }] of users) {
    if (access === 'signed' && !top.links.secret) problem(at(where), 'is "signed", but links.secret is not set: links could not be checked');
    if (access === 'jwt' && !top.jwt) problem(at(where), 'is "jwt", but there is no jwt section: tokens could not be checked');
  }
  const jwt = top.jwt;
  if (!jwt) return;
  if (jwt.algorithms.includes('HS256') && !jwt.secret) problem(['jwt', 'secret'], 'is required when algorithms include HS256');
  if (jwt.algorithms.includes('RS256')) {
    if (!jwt.public_key) problem(['jwt', 'public_key'], 'is required when algorithms include RS256');
    else {
      try {
        publicKeyOf(jwt.public_key);
      } catch (error) {
        problem(['jwt', 'public_key'], (error as Error).message);
      }
    }
  }
}

/** A variant's `from` must name another stream of the file, and variants must not form a cycle. */
function checkVariants(streams: Record<string, StreamConfig>, names: ReadonlySet<string>, problem: Report): void {
  for (const [name, stream] of Object.entries(streams)) {
    if (stream.source.kind !== 'variant') continue;
    const from = stream.source.from;
    const path = ['streams', name, 'source', 'from'];
    if (from === name) problem(path, 'a stream cannot be a variant of itself');
    else if (!names.has(from)) problem(path, `stream "${from}" is not defined in this file`);
    else {
      const chain = [name];
      for (let next: string | undefined = from; next !== undefined; ) {
        if (chain.includes(next)) {
          problem(path, `variants form a cycle: ${[...chain, next].join(' → ')}`);
          break;
        }
        chain.push(next);
        const parent: StreamConfig['source'] | undefined = streams[next]?.source;
        next = parent?.kind === 'variant' ? parent.from : undefined;
      }
    }
  }
}

interface SubstituteScope {
  readonly env: NodeJS.ProcessEnv;
  readonly vars?: ReadonlyMap<string, string>;
  readonly onEnv: (use: EnvUse) => void;
  readonly onVar?: (name: string) => void;
}

/** Interpolates every string of a tree (keys excepted), except under paths `skip` names. */
function substitute(node: unknown, path: KeyPath, scope: SubstituteScope, problem: Report, skip: (path: KeyPath) => boolean): unknown {
  if (skip(path)) return node;
  if (typeof node === 'string') {
    const { text, problems } = interpolate(node, scope);
    for (const message of problems) problem(path, message);
    return text;
  }
  if (Array.isArray(node)) return node.map((item, i) => substitute(item, [...path, i], scope, problem, skip));
  if (isPlainObject(node)) return Object.fromEntries(Object.entries(node).map(([key, value]) => [key, substitute(value, [...path, key], scope, problem, skip)]));
  return node;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Maps merge key by key; anything else in `over` replaces what is in `base` (lists are not concatenated). */
function deepMerge(base: unknown, over: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(over)) return over === undefined ? base : over;
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) out[key] = deepMerge(base[key], value);
  return out;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
