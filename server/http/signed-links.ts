import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Signed viewer links (docs/security.md): `?exp=UNIX&sig=HMAC`, where
 * sig = HMAC-SHA256(secret, "NAME:exp") or, for a link bound to one client
 * address, HMAC-SHA256(secret, "NAME:exp:IP"). The stream name is in the
 * signed text, so a link opens one stream only. `sig` is hex (64
 * characters) or base64url (43); fragcast mints base64url.
 */

export interface SignedLink {
  readonly stream: string;
  /** Unix seconds. */
  readonly exp: number;
  readonly sig: string;
  /** Bound to this client address, when minted with one. */
  readonly ip: string | undefined;
  /** `exp=…&sig=…`, ready to append to any viewer URL of the stream. */
  readonly query: string;
}

export type LinkVerdict = { readonly ok: true } | { readonly ok: false; readonly reason: 'missing' | 'expired' | 'invalid'; readonly exp?: number };

function mac(secret: string, text: string): Buffer {
  return createHmac('sha256', secret).update(text).digest();
}

export function signLink(secret: string, stream: string, exp: number, ip?: string): SignedLink {
  const sig = mac(secret, ip ? `${stream}:${exp}:${ip}` : `${stream}:${exp}`).toString('base64url');
  return { stream, exp, sig, ip, query: `exp=${exp}&sig=${sig}` };
}

/** The 32 bytes a `sig` parameter names, or undefined when it is neither hex nor base64url of 32 bytes. */
function sigBytes(sig: string): Buffer | undefined {
  if (/^[0-9a-fA-F]{64}$/.test(sig)) return Buffer.from(sig, 'hex');
  if (/^[A-Za-z0-9_-]{43}$/.test(sig)) return Buffer.from(sig, 'base64url');
  return undefined;
}

/**
 * Checks `exp` and `sig` (raw query parameter values) for `stream`, seen
 * from client address `ip`. Both forms (with and without the address) are
 * tried: the minter chose whether to bind the link. Constant time in the
 * signature.
 */
export function verifyLink(secret: string, stream: string, exp: string | null, sig: string | null, ip: string, nowMs: number): LinkVerdict {
  if (exp === null && sig === null) return { ok: false, reason: 'missing' };
  if (exp === null || sig === null || !/^\d{1,12}$/.test(exp)) return { ok: false, reason: 'invalid' };
  const presented = sigBytes(sig);
  if (!presented) return { ok: false, reason: 'invalid' };
  // Both comparisons always run: the time taken says nothing about which form matched.
  const plain = timingSafeEqual(presented, mac(secret, `${stream}:${exp}`));
  const bound = timingSafeEqual(presented, mac(secret, `${stream}:${exp}:${ip}`));
  if (!plain && !bound) return { ok: false, reason: 'invalid' };
  const expires = Number(exp);
  if (expires * 1000 <= nowMs) return { ok: false, reason: 'expired', exp: expires };
  return { ok: true };
}
