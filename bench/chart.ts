/**
 * Tiny SVG charts for the bench report: lines of (x, y) series, and grouped
 * bars. Own code, no library: the report must render on GitHub and in a
 * browser without fetching anything.
 */

export interface Series {
  readonly label: string;
  readonly points: readonly (readonly [number, number])[];
}

const COLORS = ['#e4572e', '#1f77b4', '#2ca02c', '#9467bd', '#8c564b'];
const W = 640;
const H = 360;
const M = { left: 64, right: 16, top: 36, bottom: 48 };

function escape(text: string): string {
  return text.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

function niceMax(value: number): number {
  if (value <= 0) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(value));
  return Math.ceil(value / magnitude) * magnitude;
}

function frame(title: string, xLabel: string, yLabel: string, body: string, legend: readonly string[]): string {
  // Each entry as wide as its label (about 5.5 px per character at 10 px), so long names are not cut.
  let x = M.left + 8;
  const legendItems = legend
    .map((label, i) => {
      const item = `<g transform="translate(${x},${M.top - 14})"><rect width="10" height="10" fill="${COLORS[i % COLORS.length]}"/><text x="14" y="9" font-size="10">${escape(label)}</text></g>`;
      x += 24 + label.length * 5.5;
      return item;
    })
    .join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" font-family="sans-serif">
<rect width="100%" height="100%" fill="#fff"/>
<text x="${W / 2}" y="16" text-anchor="middle" font-size="13" font-weight="bold">${escape(title)}</text>
${legendItems}
<text x="${W / 2}" y="${H - 8}" text-anchor="middle" font-size="11">${escape(xLabel)}</text>
<text transform="translate(14,${H / 2}) rotate(-90)" text-anchor="middle" font-size="11">${escape(yLabel)}</text>
${body}
</svg>
`;
}

function axes(xMax: number, yMax: number, xTicks: readonly number[]): { x: (v: number) => number; y: (v: number) => number; svg: string } {
  const x = (v: number): number => M.left + (v / xMax) * (W - M.left - M.right);
  const y = (v: number): number => H - M.bottom - (v / yMax) * (H - M.top - M.bottom);
  let svg = `<line x1="${M.left}" y1="${y(0)}" x2="${W - M.right}" y2="${y(0)}" stroke="#333"/><line x1="${M.left}" y1="${y(0)}" x2="${M.left}" y2="${M.top}" stroke="#333"/>`;
  for (let i = 0; i <= 4; i++) {
    const v = (yMax / 4) * i;
    svg += `<line x1="${M.left}" y1="${y(v)}" x2="${W - M.right}" y2="${y(v)}" stroke="#eee"/><text x="${M.left - 6}" y="${y(v) + 4}" text-anchor="end" font-size="10">${+v.toPrecision(3)}</text>`;
  }
  for (const v of xTicks) svg += `<text x="${x(v)}" y="${y(0) + 14}" text-anchor="middle" font-size="10">${v}</text>`;
  return { x, y, svg };
}

export function lineChart(title: string, xLabel: string, yLabel: string, series: readonly Series[]): string {
  const xs = [...new Set(series.flatMap((s) => s.points.map(([x]) => x)))].sort((a, b) => a - b);
  const xMax = niceMax(Math.max(...xs, 1));
  const yMax = niceMax(Math.max(...series.flatMap((s) => s.points.map(([, y]) => y)), 1));
  const { x, y, svg } = axes(xMax, yMax, xs);
  const lines = series
    .map((s, i) => {
      const color = COLORS[i % COLORS.length];
      const path = s.points.map(([px, py], j) => `${j ? 'L' : 'M'}${x(px).toFixed(1)},${y(py).toFixed(1)}`).join(' ');
      const dots = s.points.map(([px, py]) => `<circle cx="${x(px).toFixed(1)}" cy="${y(py).toFixed(1)}" r="3" fill="${color}"/>`).join('');
      return `<path d="${path}" fill="none" stroke="${color}" stroke-width="2"/>${dots}`;
    })
    .join('\n');
  return frame(title, xLabel, yLabel, svg + lines, series.map((s) => s.label));
}

/** Bars grouped by category (x), one bar per series. */
export function barChart(title: string, yLabel: string, categories: readonly string[], series: readonly { label: string; values: readonly (number | undefined)[] }[]): string {
  const yMax = niceMax(Math.max(...series.flatMap((s) => s.values.map((v) => v ?? 0)), 1));
  const y = (v: number): number => H - M.bottom - (v / yMax) * (H - M.top - M.bottom);
  const groupWidth = (W - M.left - M.right) / categories.length;
  const barWidth = (groupWidth * 0.7) / series.length;
  let body = `<line x1="${M.left}" y1="${y(0)}" x2="${W - M.right}" y2="${y(0)}" stroke="#333"/>`;
  for (let i = 0; i <= 4; i++) {
    const v = (yMax / 4) * i;
    body += `<line x1="${M.left}" y1="${y(v)}" x2="${W - M.right}" y2="${y(v)}" stroke="#eee"/><text x="${M.left - 6}" y="${y(v) + 4}" text-anchor="end" font-size="10">${+v.toPrecision(3)}</text>`;
  }
  categories.forEach((category, c) => {
    const x0 = M.left + c * groupWidth + groupWidth * 0.15;
    body += `<text x="${M.left + c * groupWidth + groupWidth / 2}" y="${y(0) + 14}" text-anchor="middle" font-size="10">${escape(category)}</text>`;
    series.forEach((s, i) => {
      const value = s.values[c];
      if (value === undefined) return;
      body += `<rect x="${(x0 + i * barWidth).toFixed(1)}" y="${y(value).toFixed(1)}" width="${(barWidth - 2).toFixed(1)}" height="${(y(0) - y(value)).toFixed(1)}" fill="${COLORS[i % COLORS.length]}"/>`;
    });
  });
  return frame(title, '', yLabel, body, series.map((s) => s.label));
}
