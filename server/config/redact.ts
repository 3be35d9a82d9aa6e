import type { EnvUse } from './interpolate.ts';
import type { LoadedConfig } from './load.ts';
import type { FragcastConfig, StreamConfig } from './schema.ts';

export const REDACTED = '<redacted>';

/**
 * Values shorter than this are redacted only where they are a whole string:
 * replacing "1" or "on" inside every other string would mangle the dump
 * without protecting anything.
 */
const MIN_SUBSTRING_SECRET = 4;

/** `scheme://user:PASSWORD@` — the password part of a URL. */
const URL_PASSWORD = /([a-z][a-z0-9+.-]*:\/\/[^/\s:@]*:)([^@\s/]+)@/gi;

/** Keys whose value is a secret wherever they appear: admin.token, links.secret, jwt.secret, listen.tls.passphrase. */
const SECRET_KEYS = new Set(['token', 'secret', 'passphrase']);

/**
 * The configuration as it may be shown (`GET /api/config`, `check-config`):
 * every value that came from the environment appears as its `${env:NAME}`
 * reference; push keys, tokens, secrets, passphrases and URL passwords as
 * "<redacted>".
 */
export function redactConfig({ config, envUses }: LoadedConfig): FragcastConfig {
  const uses = [...envUses].sort((a, b) => b.value.length - a.value.length);
  const redactString = (text: string): string => {
    let out = text;
    for (const { name, value } of uses) {
      if (out === value) return `\${env:${name}}`;
      if (value.length >= MIN_SUBSTRING_SECRET) out = out.split(value).join(`\${env:${name}}`);
    }
    return out.replace(URL_PASSWORD, (whole, head: string, password: string) => (password.startsWith('${env:') ? whole : `${head}${REDACTED}@`));
  };
  const walk = (node: unknown, key: string | undefined, parent: unknown): unknown => {
    if (typeof node === 'string') {
      const isPushKey = key === 'key' && (parent as { kind?: unknown } | undefined)?.kind === 'push';
      return isPushKey || SECRET_KEYS.has(key ?? '') ? REDACTED : redactString(node);
    }
    if (Array.isArray(node)) return node.map((item) => walk(item, undefined, node));
    if (node && typeof node === 'object') return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, walk(v, k, node)]));
    return node;
  };
  return walk(config, undefined, undefined) as FragcastConfig;
}

/** Strings a stream's source logs must never show: environment values it uses and passwords in its URLs. */
export function secretsOf(stream: StreamConfig, envUses: readonly EnvUse[]): string[] {
  const secrets = new Set<string>();
  const visit = (node: unknown): void => {
    if (typeof node === 'string') {
      for (const { value } of envUses) if (value.length >= MIN_SUBSTRING_SECRET && node.includes(value)) secrets.add(value);
      for (const match of node.matchAll(URL_PASSWORD)) secrets.add(match[2]!);
      return;
    }
    if (node && typeof node === 'object') for (const child of Object.values(node)) visit(child);
  };
  visit(stream.source);
  if (stream.source.kind === 'push') secrets.add(stream.source.key);
  return [...secrets];
}
