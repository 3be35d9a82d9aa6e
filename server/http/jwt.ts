import { createHmac, timingSafeEqual, verify, type KeyObject } from 'node:crypto';

/**
 * JSON Web Tokens for viewers (RFC 7519), verified with node:crypto:
 * HS256 (RFC 7518 §3.2) and RS256 (§3.3), nothing else. The algorithm must
 * be one the configuration accepts — `none` never is, and an RS256 key is
 * never used as an HS256 secret (the alg-confusion attack) because each
 * algorithm has its own key.
 */

export type JwtAlgorithm = 'HS256' | 'RS256';

export interface JwtPolicy {
  readonly algorithms: readonly JwtAlgorithm[];
  readonly secret: string | undefined;
  readonly publicKey: KeyObject | undefined;
  readonly audience: string;
  readonly issuer: string | undefined;
  /** The claim naming the streams a token opens. */
  readonly streamsClaim: string;
  readonly leewaySeconds: number;
}

export type JwtVerdict =
  | { readonly ok: true }
  | { readonly ok: false; readonly reason: 'invalid'; readonly why: string }
  | { readonly ok: false; readonly reason: 'expired'; readonly exp: number | undefined }
  | { readonly ok: false; readonly reason: 'stream' };

/** Longest token looked at: a few claims fit in far less; anything bigger is not parsed. */
export const MAX_TOKEN_LENGTH = 4096;

const SEGMENT = /^[A-Za-z0-9_-]*$/;

function invalid(why: string): JwtVerdict {
  return { ok: false, reason: 'invalid', why };
}

function decodeJson(segment: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function signatureMatches(policy: JwtPolicy, alg: JwtAlgorithm, signed: string, signature: Buffer): boolean {
  if (alg === 'HS256') {
    if (!policy.secret) return false;
    const expected = createHmac('sha256', policy.secret).update(signed).digest();
    return signature.length === expected.length && timingSafeEqual(signature, expected);
  }
  if (!policy.publicKey) return false;
  return verify('RSA-SHA256', Buffer.from(signed), policy.publicKey, signature);
}

/** Verifies `token` for `stream` at `nowMs`: structure, algorithm, signature, then exp, nbf, aud, iss, and the streams claim. */
export function verifyJwt(policy: JwtPolicy, token: string, stream: string, nowMs: number): JwtVerdict {
  if (token.length > MAX_TOKEN_LENGTH) return invalid(`longer than ${MAX_TOKEN_LENGTH} characters`);
  const parts = token.split('.');
  if (parts.length !== 3 || !parts.every((part) => SEGMENT.test(part))) return invalid('not three base64url parts');
  const [head, body, sig] = parts as [string, string, string];
  const header = decodeJson(head);
  if (!header) return invalid('the header is not a JSON object');
  const alg = header.alg;
  if (typeof alg !== 'string' || !(policy.algorithms as readonly string[]).includes(alg)) {
    return invalid(`algorithm ${JSON.stringify(String(alg)).slice(0, 20)} is not accepted (accepted: ${policy.algorithms.join(', ')})`);
  }
  if (!signatureMatches(policy, alg as JwtAlgorithm, `${head}.${body}`, Buffer.from(sig, 'base64url'))) return invalid('bad signature');
  const claims = decodeJson(body);
  if (!claims) return invalid('the payload is not a JSON object');

  const now = nowMs / 1000;
  const { exp, nbf, aud, iss } = claims;
  if (typeof exp !== 'number' || !Number.isFinite(exp)) return { ok: false, reason: 'expired', exp: undefined };
  if (now > exp + policy.leewaySeconds) return { ok: false, reason: 'expired', exp };
  if (nbf !== undefined && (typeof nbf !== 'number' || now < nbf - policy.leewaySeconds)) return invalid('not valid yet (nbf)');
  const audiences = Array.isArray(aud) ? aud : [aud];
  if (!audiences.includes(policy.audience)) return invalid(`aud does not name "${policy.audience}"`);
  if (policy.issuer !== undefined && iss !== policy.issuer) return invalid(`iss is not "${policy.issuer}"`);
  const allowed = claims[policy.streamsClaim];
  const names = Array.isArray(allowed) ? allowed : [allowed];
  if (!names.includes(stream) && !names.includes('*')) return { ok: false, reason: 'stream' };
  return { ok: true };
}
