import { cpus, release, totalmem } from 'node:os';
import { DEFAULT_SETTLE_S, type BenchOptions, type ScenarioReport } from './scenario.ts';

export function machine(): string {
  return `${cpus().length} × ${cpus()[0]?.model.trim() ?? 'unknown CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Linux ${release()}, Node ${process.version}`;
}

export function commandLine(report: ScenarioReport, options: Pick<BenchOptions, 'clients' | 'duration' | 'bitrate' | 'settle' | 'fanoutThreads'>): string {
  const clients = options.clients === undefined ? '' : ` --clients ${options.clients}`;
  const settle = options.settle === DEFAULT_SETTLE_S ? '' : ` --settle ${options.settle}`;
  const threads = options.fanoutThreads ? ` --fanout-threads ${options.fanoutThreads}` : '';
  return `npm run bench -- ${report.scenario}${clients} --duration ${options.duration}${settle} --bitrate ${options.bitrate}${threads}`;
}

/** The report as Markdown: title, command, machine, table, targets, charts. */
export function markdown(report: ScenarioReport, options: Pick<BenchOptions, 'clients' | 'duration' | 'bitrate' | 'settle' | 'fanoutThreads'>, when: Date, chartPaths: readonly string[]): string {
  const lines = [
    `### ${report.scenario}: ${report.title}`,
    '',
    `Run ${when.toISOString().slice(0, 16).replace('T', ' ')} UTC with \`${commandLine(report, options)}\` on ${machine()}.`,
    '',
    `| ${report.columns.join(' | ')} |`,
    `| ${report.columns.map(() => '---').join(' | ')} |`,
    ...report.rows.map((row) => `| ${row.join(' | ')} |`),
  ];
  if (report.targets.length) {
    lines.push('', '| target | goal | measured | met |', '| --- | --- | --- | --- |');
    for (const t of report.targets) lines.push(`| ${t.name} | ${t.target} | ${t.measured} | ${t.met ? 'yes' : '**no**'} |`);
  }
  for (const path of chartPaths) lines.push('', `![${report.scenario}](${path})`);
  return `${lines.join('\n')}\n`;
}
