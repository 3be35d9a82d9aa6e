/**
 * A small time-series line chart drawn as inline SVG: no chart library, no
 * CDN. The SVG's coordinates are its pixel size, measured at each draw, so
 * text and strokes stay crisp at any width.
 */

export interface Series {
  readonly name: string;
  /** [Unix ms, value] in time order. */
  readonly points: readonly (readonly [number, number])[];
}

export interface ChartOptions {
  /** Formats an axis or legend value. */
  readonly format: (value: number) => string;
  /** The time span shown, ending now. */
  readonly windowMs: number;
  readonly now: number;
}

const SVG = 'http://www.w3.org/2000/svg';
const COLORS = ['#6cb4ff', '#9fe0b0', '#f3b3a6', '#e6c86e', '#c39bf0', '#7fd8d8', '#f0a0c8', '#b0b8c0'];
const PAD = { left: 64, right: 8, top: 8, bottom: 18 };

function element<K extends keyof SVGElementTagNameMap>(name: K, attributes: Record<string, string | number>, text?: string): SVGElementTagNameMap[K] {
  const node = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

/** "Nice" upper bound for an axis: 1, 2 or 5 times a power of ten, at least `max`. */
function niceMax(max: number): number {
  if (max <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(max));
  return ([1, 2, 5, 10].find((step) => step * power >= max) ?? 10) * power;
}

/** Redraws `figure` (a `<figure>` holding an `<svg>` and a `.legend`) with `series`. */
export function drawLineChart(figure: HTMLElement, series: readonly Series[], options: ChartOptions): void {
  const svg = figure.querySelector('svg')!;
  const legend = figure.querySelector('.legend')!;
  const { width, height } = svg.getBoundingClientRect();
  if (width === 0 || height === 0) return;
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  const plotWidth = width - PAD.left - PAD.right;
  const plotHeight = height - PAD.top - PAD.bottom;
  const start = options.now - options.windowMs;
  let max = 0;
  for (const s of series) for (const [t, v] of s.points) if (t >= start && v > max) max = v;
  const top = niceMax(max);
  const x = (t: number): number => PAD.left + ((t - start) / options.windowMs) * plotWidth;
  const y = (v: number): number => PAD.top + plotHeight - (v / top) * plotHeight;

  const nodes: SVGElement[] = [];
  for (const fraction of [0, 0.5, 1]) {
    const at = y(top * fraction);
    nodes.push(element('line', { x1: PAD.left, x2: width - PAD.right, y1: at, y2: at, stroke: '#2a2d31' }));
    nodes.push(element('text', { x: PAD.left - 6, y: at + 4, 'text-anchor': 'end', fill: '#9aa3ad', 'font-size': 11 }, options.format(top * fraction)));
  }
  nodes.push(element('text', { x: PAD.left, y: height - 4, fill: '#9aa3ad', 'font-size': 11 }, `-${Math.round(options.windowMs / 60_000)} min`));
  nodes.push(element('text', { x: width - PAD.right, y: height - 4, 'text-anchor': 'end', fill: '#9aa3ad', 'font-size': 11 }, 'now'));
  series.forEach((s, i) => {
    const visible = s.points.filter(([t]) => t >= start);
    if (visible.length === 0) return;
    const points = visible.map(([t, v]) => `${x(t).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
    nodes.push(element('polyline', { points, fill: 'none', stroke: COLORS[i % COLORS.length]!, 'stroke-width': 1.5, 'data-series': s.name }));
  });
  svg.replaceChildren(...nodes);

  legend.replaceChildren(
    ...series.map((s, i) => {
      const item = document.createElement('span');
      const swatch = document.createElement('i');
      swatch.style.background = COLORS[i % COLORS.length]!;
      const last = s.points.at(-1);
      item.append(swatch, `${s.name} ${last ? options.format(last[1]) : '—'}`);
      return item;
    }),
  );
}
