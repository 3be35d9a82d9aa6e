/**
 * Makes the benchmark sources (bench/media.ts) ahead of a run, into .cache/bench/:
 *
 *   node --import tsx scripts/make-bench-media.ts [MBPS…]
 */
import { ensureBenchMedia } from '../bench/media.ts';

const rates = process.argv.slice(2).map(Number);
for (const mbps of rates.length ? rates : [2, 4, 8]) {
  const started = performance.now();
  const path = ensureBenchMedia(mbps);
  process.stdout.write(`${path} (${Math.round(performance.now() - started)} ms)\n`);
}
