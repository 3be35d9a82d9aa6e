import { drawLineChart, type Series } from './line-chart.ts';

/**
 * The /stats page: polls /api/stats once per sample interval (asking only
 * for samples it has not seen), redraws the charts and the sessions table.
 * The server keeps the history, so a page opened now shows the last minutes.
 */

interface StreamSample {
  viewers: Record<string, number>;
  ingestBitsPerSecond: number;
  egressBitsPerSecond: number;
  fragmentsPerSecond: number;
  skipsPerSecond: number;
  restarts: number;
}
interface Sample {
  t: number;
  cpu: number;
  rssBytes: number;
  heapUsedBytes: number;
  streams: Record<string, StreamSample>;
}
interface Session {
  id: string;
  output: string;
  stream: string;
  remoteAddress: string;
  connectedForMs: number;
  bytesSent: number;
  skippedFragments: number;
  lagMs: number;
}
interface StatsResponse {
  now: number;
  intervalMs: number;
  samples: Sample[];
  sessions: Session[];
}

const WINDOW_MS = 5 * 60_000;
const samples: Sample[] = [];
let intervalMs = 1000;

const bits = (v: number): string => (v >= 1e6 ? `${(v / 1e6).toFixed(1)} Mb/s` : v >= 1e3 ? `${(v / 1e3).toFixed(0)} kb/s` : `${v.toFixed(0)} b/s`);
const bytes = (v: number): string => (v >= 2 ** 30 ? `${(v / 2 ** 30).toFixed(2)} GiB` : v >= 2 ** 20 ? `${(v / 2 ** 20).toFixed(1)} MiB` : v >= 1024 ? `${(v / 1024).toFixed(0)} KiB` : `${v} B`);
const count = (v: number): string => (Number.isInteger(v) ? String(v) : v.toFixed(1));
const duration = (ms: number): string => {
  const s = Math.floor(ms / 1000);
  return s >= 3600 ? `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min` : s >= 60 ? `${Math.floor(s / 60)} min ${s % 60} s` : `${s} s`;
};

/** One series per stream (or per stream and output) for a field of the stream samples. */
function perStream(read: (s: StreamSample) => number): Series[] {
  const names = new Set(samples.flatMap((sample) => Object.keys(sample.streams)));
  return [...names].sort().map((name) => ({
    name,
    points: samples.filter((sample) => sample.streams[name]).map((sample) => [sample.t, read(sample.streams[name]!)] as const),
  }));
}

function viewerSeries(): Series[] {
  const keys = new Set<string>();
  for (const sample of samples) for (const [name, s] of Object.entries(sample.streams)) for (const output of Object.keys(s.viewers)) keys.add(`${name}\u0000${output}`);
  return [...keys].sort().map((key) => {
    const [name, output] = key.split('\u0000') as [string, string];
    return { name: `${name} ${output}`, points: samples.filter((s) => s.streams[name]).map((s) => [s.t, s.streams[name]!.viewers[output] ?? 0] as const) };
  });
}

function draw(now: number): void {
  const chart = (id: string, series: Series[], format: (v: number) => string): void =>
    drawLineChart(document.getElementById(`chart-${id}`)!, series, { format, windowMs: WINDOW_MS, now });
  chart('viewers', viewerSeries(), count);
  chart('ingest', perStream((s) => s.ingestBitsPerSecond), bits);
  chart('egress', perStream((s) => s.egressBitsPerSecond), bits);
  chart('fragments', perStream((s) => s.fragmentsPerSecond), count);
  chart('skips', perStream((s) => s.skipsPerSecond), count);
  chart('restarts', perStream((s) => s.restarts), count);
  chart('cpu', [{ name: 'fragcast', points: samples.map((s) => [s.t, s.cpu] as const) }], (v) => v.toFixed(2));
  // In MiB, so that the axis gets round numbers.
  const mib = (v: number): number => v / 2 ** 20;
  chart('rss', [{ name: 'rss', points: samples.map((s) => [s.t, mib(s.rssBytes)] as const) }, { name: 'heap used', points: samples.map((s) => [s.t, mib(s.heapUsedBytes)] as const) }], (v) => `${v.toFixed(0)} MiB`);
}

async function kick(id: string): Promise<void> {
  await fetch(`/api/sessions/${encodeURIComponent(id)}`, { method: 'DELETE' });
  void poll();
}

function renderSessions(sessions: Session[]): void {
  const body = document.querySelector('#sessions tbody')!;
  if (sessions.length === 0) {
    const row = document.createElement('tr');
    const cell = document.createElement('td');
    cell.colSpan = 9;
    cell.className = 'empty';
    cell.textContent = 'No viewers are connected.';
    row.append(cell);
    body.replaceChildren(row);
    return;
  }
  body.replaceChildren(
    ...sessions.map((session) => {
      const row = document.createElement('tr');
      row.dataset.session = session.id;
      const cells: [string, boolean][] = [
        [session.id, false],
        [session.remoteAddress, false],
        [session.output, false],
        [session.stream, false],
        [duration(session.connectedForMs), true],
        [bytes(session.bytesSent), true],
        [String(session.skippedFragments), true],
        [`${session.lagMs} ms`, true],
      ];
      for (const [text, numeric] of cells) {
        const cell = document.createElement('td');
        cell.textContent = text;
        if (numeric) cell.className = 'num';
        row.append(cell);
      }
      const action = document.createElement('td');
      const button = document.createElement('button');
      button.textContent = 'kick';
      button.title = 'Disconnect this viewer (DELETE /api/sessions/ID)';
      button.addEventListener('click', () => void kick(session.id));
      action.append(button);
      row.append(action);
      return row;
    }),
  );
}

async function poll(): Promise<void> {
  try {
    const since = samples.at(-1)?.t ?? 0;
    const response = await fetch(`/api/stats?since=${since}`, { cache: 'no-store' });
    if (!response.ok) return;
    const stats = (await response.json()) as StatsResponse;
    intervalMs = stats.intervalMs;
    samples.push(...stats.samples);
    while (samples.length && samples[0]!.t < stats.now - WINDOW_MS) samples.shift();
    draw(stats.now);
    renderSessions(stats.sessions);
  } catch {
    // The server may be restarting; the next tick tries again.
  }
}

async function loop(): Promise<void> {
  await poll();
  setTimeout(() => void loop(), intervalMs);
}

void loop();
window.addEventListener('resize', () => draw(samples.at(-1)?.t ?? Date.now()));
