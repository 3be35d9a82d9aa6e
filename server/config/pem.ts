import { createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';

/**
 * The RS256 key of `jwt.public_key`: the PEM text itself, or a file holding
 * it. Read when the configuration is loaded (to report a bad key with its
 * path) and when the access policy is compiled. Throws an Error saying why.
 */
export function publicKeyOf(value: string): KeyObject {
  let pem = value;
  if (!value.includes('-----BEGIN')) {
    try {
      pem = readFileSync(value, 'utf8');
    } catch (error) {
      throw new Error(`cannot read ${value}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
    }
  }
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch (error) {
    throw new Error(`not a PEM public key: ${(error as Error).message}`);
  }
  if (key.asymmetricKeyType !== 'rsa') throw new Error(`RS256 needs an RSA key, this one is ${key.asymmetricKeyType}`);
  return key;
}
