/**
 * The bench runner: `npm run bench -- SCENARIO [--clients N] [--duration S] [--bitrate MBPS] [--write-docs]`.
 * Every scenario targets loopback only, is bounded in viewers and time, and
 * stops by itself. Results go to bench/results/ (git-ignored) as JSON,
 * Markdown and SVG; --write-docs also puts the Markdown and charts into
 * docs/benchmarks.md.
 */
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ensureBenchMedia } from './media.ts';
import { markdown } from './report.ts';
import { DEFAULT_SETTLE_S, type BenchOptions, type Scenario, type ScenarioReport } from './scenario.ts';
import { churn } from './scenarios/churn.ts';
import { compare } from './scenarios/compare.ts';
import { fanoutHttp } from './scenarios/fanout-http.ts';
import { fanoutWs } from './scenarios/fanout-ws.ts';
import { latency } from './scenarios/latency.ts';
import { slowViewers } from './scenarios/slow-viewers.ts';
import { ttff } from './scenarios/ttff.ts';

export const SCENARIOS: Record<string, Scenario> = {
  'fanout-ws': fanoutWs,
  'fanout-http': fanoutHttp,
  latency,
  ttff,
  'slow-viewers': slowViewers,
  churn,
  compare,
};

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BITRATES = [2, 4, 8];
/** Hard bounds, whatever the flags say: a bench run must stop by itself and stay sane on one machine. */
const MAX_CLIENTS = 12_000;
const MAX_DURATION_S = 120;

const USAGE = `Usage: npm run bench -- SCENARIO [--clients N] [--duration S] [--settle S] [--bitrate 2|4|8] [--fanout-threads N] [--write-docs]
Scenarios: ${Object.keys(SCENARIOS).join(', ')}`;

export async function runScenario(
  name: string,
  options: { clients?: number | undefined; duration: number; settle?: number; bitrate: number; fanoutThreads?: number; writeDocs?: boolean; quiet?: boolean },
): Promise<{ report: ScenarioReport; markdown: string }> {
  const scenario = SCENARIOS[name];
  if (!scenario) throw new Error(`unknown scenario "${name}"\n${USAGE}`);
  if (!BITRATES.includes(options.bitrate)) throw new Error(`--bitrate must be one of ${BITRATES.join(', ')}`);
  if (options.clients !== undefined && !(options.clients >= 1 && options.clients <= MAX_CLIENTS)) throw new Error(`--clients must be 1..${MAX_CLIENTS}`);
  if (!(options.duration >= 1 && options.duration <= MAX_DURATION_S)) throw new Error(`--duration must be 1..${MAX_DURATION_S} seconds`);
  const settle = options.settle ?? DEFAULT_SETTLE_S;
  if (!(settle >= 2 && settle <= MAX_DURATION_S)) throw new Error(`--settle must be 2..${MAX_DURATION_S} seconds`);
  const log = options.quiet ? () => {} : (line: string) => process.stderr.write(`${line}\n`);
  const fanoutThreads = options.fanoutThreads ?? 0;
  if (!(Number.isInteger(fanoutThreads) && fanoutThreads >= 0 && fanoutThreads <= 16)) throw new Error('--fanout-threads must be 0..16');
  const benchOptions: BenchOptions = { clients: options.clients, duration: options.duration, settle, bitrate: options.bitrate, fanoutThreads, mediaPath: ensureBenchMedia(options.bitrate), log };
  const when = new Date();
  const report = await scenario(benchOptions);
  const dir = `${ROOT}bench/results`;
  mkdirSync(dir, { recursive: true });
  const stamp = when.toISOString().replace(/[:.]/g, '-');
  const chartFiles = (report.charts ?? []).map((chart) => {
    const file = `${report.scenario}-${chart.name}.svg`;
    writeFileSync(`${dir}/${file}`, chart.svg);
    return file;
  });
  writeFileSync(`${dir}/${report.scenario}-${stamp}.json`, JSON.stringify({ ...report, options: { ...options }, when }, null, 2));
  const text = markdown(report, benchOptions, when, chartFiles);
  writeFileSync(`${dir}/${report.scenario}-${stamp}.md`, text);
  if (options.writeDocs) writeDocs(report.scenario, markdown(report, benchOptions, when, chartFiles.map((f) => `bench/${f}`)), chartFiles.map((f) => `${dir}/${f}`));
  return { report, markdown: text };
}

/** Replaces the scenario's section of docs/benchmarks.md (between its markers) and copies its charts. */
function writeDocs(scenario: string, text: string, charts: readonly string[]): void {
  const path = `${ROOT}docs/benchmarks.md`;
  const doc = readFileSync(path, 'utf8');
  const start = `<!-- bench:${scenario} -->`;
  const end = `<!-- /bench:${scenario} -->`;
  const section = `${start}\n${text}${end}`;
  const pattern = new RegExp(`${start}[\\s\\S]*?${end}`);
  writeFileSync(path, pattern.test(doc) ? doc.replace(pattern, section) : `${doc.trimEnd()}\n\n${section}\n`);
  mkdirSync(`${ROOT}docs/bench`, { recursive: true });
  for (const chart of charts) copyFileSync(chart, `${ROOT}docs/bench/${chart.split('/').pop()}`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values, positionals } = parseArgs({
    options: { clients: { type: 'string' }, duration: { type: 'string' }, settle: { type: 'string' }, bitrate: { type: 'string' }, 'fanout-threads': { type: 'string' }, 'write-docs': { type: 'boolean' } },
    allowPositionals: true,
  });
  // Interrupted (Ctrl-C, a timeout's SIGTERM): exit, so that the servers under test are killed with the runner (launch.ts).
  process.once('SIGINT', () => process.exit(130));
  process.once('SIGTERM', () => process.exit(143));
  const name = positionals[0];
  if (!name) {
    process.stderr.write(`${USAGE}\n`);
    process.exit(2);
  }
  try {
    const { markdown: text } = await runScenario(name, {
      clients: values.clients === undefined ? undefined : Number(values.clients),
      duration: Number(values.duration ?? 10),
      ...(values.settle === undefined ? {} : { settle: Number(values.settle) }),
      bitrate: Number(values.bitrate ?? 4),
      fanoutThreads: Number(values['fanout-threads'] ?? 0),
      writeDocs: values['write-docs'] ?? false,
    });
    process.stdout.write(text);
    process.exit(0);
  } catch (error) {
    process.stderr.write(`bench: ${(error as Error).message}\n`);
    process.exit(1);
  }
}
