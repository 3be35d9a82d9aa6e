import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type * as UWS from 'uWebSockets.js';
import { FragcastError } from '../errors.ts';

export type { UWS };

const require = createRequire(import.meta.url);

export interface LoadedUws {
  readonly uws: typeof UWS;
  /** True when the native binary loaded; false when running on the package's JavaScript fallback. */
  readonly native: boolean;
  /** Why the native binary did not load, when it did not. */
  readonly failure: string | undefined;
}

/**
 * Loads uWebSockets.js and says whether it is the real thing.
 *
 * The npm build fragcast depends on falls back, with only a console warning,
 * to a JavaScript imitation on top of `ws` when its binary does not load
 * (wrong Node ABI, glibc older than the build's). That imitation is many
 * times slower and lacks parts of the API, so fragcast loads the binary
 * itself first to learn the exact reason, and refuses to start on the
 * fallback unless `allowFallback` says the operator accepts it.
 */
export function loadUws(options: { allowFallback: boolean }): LoadedUws {
  const entry = require.resolve('uWebSockets.js');
  const binary = join(dirname(entry), '..', 'binaries', `uws_${process.platform}_${process.arch}_${process.versions.modules}.node`);
  let binding: typeof UWS | undefined;
  let failure: string | undefined;
  try {
    binding = require(binary) as typeof UWS;
  } catch (error) {
    failure = (error as Error).message.split('\n')[0];
  }
  const uws = require('uWebSockets.js') as typeof UWS;
  // The package may still pick its fallback (UWS_USE_FALLBACK): native means it handed us the binding itself.
  const native = binding !== undefined && uws.App === binding.App;
  if (!native) failure ??= 'the package chose its JavaScript fallback (UWS_USE_FALLBACK is set)';
  if (!native && !options.allowFallback) throw new FragcastError('UWS_NATIVE_UNAVAILABLE', { why: failure });
  return { uws, native, failure };
}
