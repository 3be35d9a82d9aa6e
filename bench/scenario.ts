import type { FanoutResult } from './fanout.ts';

export interface BenchOptions {
  /** Viewers; each scenario has its own default. */
  readonly clients: number | undefined;
  /** Seconds of measurement. */
  readonly duration: number;
  /**
   * Longest wait (s) for the viewers to settle before the window. Thousands
   * connecting within seconds each get an instant start, and a backlog that
   * a server at its limit drains for a while after.
   */
  readonly settle: number;
  /** Stream bitrate in Mbit/s: 2, 4 or 8 (the bench sources). */
  readonly bitrate: number;
  /** fragcast's listen.fanout_threads (0: one thread serves every viewer). */
  readonly fanoutThreads: number;
  readonly mediaPath: string;
  readonly log: (line: string) => void;
}

/** A target from the issue, checked against a measured value (never asserted in tests). */
export interface TargetCheck {
  readonly name: string;
  readonly target: string;
  readonly measured: string;
  readonly met: boolean;
}

export interface ScenarioReport {
  readonly scenario: string;
  readonly title: string;
  readonly columns: readonly string[];
  readonly rows: readonly (readonly (string | number)[])[];
  readonly targets: readonly TargetCheck[];
  /** SVG charts, written beside the JSON as SCENARIO-NAME.svg. */
  readonly charts?: readonly { readonly name: string; readonly svg: string }[];
  readonly raw: unknown;
}

export type Scenario = (options: BenchOptions) => Promise<ScenarioReport>;

/** `--settle` when not given (s). */
export const DEFAULT_SETTLE_S = 20;

export const pct = (ratio: number | undefined): string => (ratio === undefined ? '—' : `${(ratio * 100).toFixed(2)} %`);
export const ms = (value: number | undefined): string => (value === undefined ? '—' : `${value.toFixed(1)} ms`);

/**
 * Delivered in real time: the run settled, and viewers received what was offered in the window (99-102 %).
 * Over 102 % means they were still draining a backlog: they were not keeping up.
 */
export function deliveredCheck(r: FanoutResult): TargetCheck {
  const realTime = r.steady && r.delivered >= 0.99 && r.delivered <= 1.02;
  const heldBack = r.ingestRatio < 0.9 ? `; the server read its source at ${pct(r.ingestRatio)} of real time` : '';
  const measured = `${pct(r.delivered)}${r.delivered > 1.02 ? ' (draining a backlog: not real time)' : ''}${r.steady ? '' : ', never steady'}${heldBack}`;
  return { name: `delivered in real time, ${r.clients} viewers`, target: '≥ 99 %', measured, met: realTime };
}

/** The standard row of a fan-out measurement. */
export const FANOUT_COLUMNS = ['server', 'viewers', 'steady', 'delivered', 'worst viewer', 'Mbit/s out', 'server-added p50', 'p99', 'server CPU (cores)', 'RSS before → peak', 'per viewer', 'disconnects'] as const;

export function fanoutRow(label: string, r: FanoutResult): (string | number)[] {
  return [
    label,
    r.clients,
    r.steady ? `yes (${r.settleSeconds.toFixed(0)} s)` : '**no**',
    pct(r.delivered),
    pct(r.worstViewer),
    r.throughputMbps.toFixed(0),
    ms(r.serverDelayP50),
    ms(r.serverDelayP99),
    r.serverCores.toFixed(2),
    `${r.serverBaselineRssMB.toFixed(0)} → ${r.serverPeakRssMB.toFixed(0)} MB`,
    `${r.rssPerViewerKB.toFixed(1)} KB`,
    r.disconnects,
  ];
}
