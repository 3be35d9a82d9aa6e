/**
 * `npm run fuzz -- [--iterations N] [--seed S] [--trace FILE]`: a fuzz
 * campaign against the fMP4 reader. Prints the figures; exits 1 if it found
 * anything (the inputs are saved under .cache/fuzz/ for replay). --trace
 * writes each input to FILE before the reader sees it: a V8 abort (an
 * array grown past its limit) cannot be caught, and leaves its input there.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { runFuzz } from '../test/fuzz/reader-fuzz.ts';

const { values } = parseArgs({ options: { iterations: { type: 'string' }, seed: { type: 'string' }, trace: { type: 'string' } } });
const trace = values.trace;
const report = runFuzz({
  iterations: Number(values.iterations ?? 10_000),
  seed: Number(values.seed ?? Date.now() % 1e9),
  ...(trace ? { onInput: (_iteration: number, input: Buffer) => writeFileSync(trace, input) } : {}),
});
const { findings, ...figures } = report;
process.stdout.write(`${JSON.stringify(figures, null, 2)}\n`);
for (const finding of findings) process.stdout.write(`FINDING ${finding.kind} at iteration ${finding.iteration} (${finding.mutation}): ${finding.detail.split('\n')[0]}\n  replay: ${finding.file}\n`);
process.exit(findings.length ? 1 : 0);
