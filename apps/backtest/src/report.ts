import { mkdir, writeFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { REGIME_LABELS, REGIMES } from '@regime/model';
import type { BacktestResult } from './backtest.ts';
import { equityChartSpec, renderSvg } from './chart.ts';
import type { Costs } from './engine.ts';
import { PERIODS_PER_YEAR, type StrategyMetrics } from './metrics.ts';
import type { Strategy } from './strategy.ts';

export interface ReportContext {
  model: { version: string; labelerVersion: string };
  source: string;
  costs: Costs;
  strategies: readonly Strategy[];
  /** Wall seconds of the whole run, for the record. */
  seconds: number;
}

/** REPORT.json: see the app README for every field. */
export interface BacktestReport {
  model: { version: string; labelerVersion: string };
  data: { source: string; symbols: string[]; from: string; to: string; instants: number; stepMinutes: 5 };
  costs: Costs;
  annualisation: { periodsPerYear: number; rule: string };
  /** Per strategy: the equal-weight portfolio of all symbols. */
  strategies: Record<string, StrategyMetrics & { description: string }>;
  symbols: Record<
    string,
    {
      strategies: Record<string, StrategyMetrics>;
      regimeShare: Record<string, number>;
      regimeSwitchesPerDay: number;
      missingPredictions: number;
      firstMissingReason?: string;
      missingSteps: number;
      chart: string;
    }
  >;
  seconds: { total: number; candles: number; predictions: number; strategies: number };
}

/** REPORT, REPORT.md or REPORT.json → the three kinds of output file. */
export function reportPaths(out: string): { md: string; json: string; chart: (symbol: string) => string } {
  const base = out.replace(/\.(md|json)$/, '');
  return { md: `${base}.md`, json: `${base}.json`, chart: (symbol) => `${base}-${symbol}.svg` };
}

export function buildReport(result: BacktestResult, context: ReportContext, out: string): BacktestReport {
  const paths = reportPaths(out);
  const descriptions = new Map(context.strategies.map((s) => [s.name, s.description]));
  return {
    model: context.model,
    data: {
      source: context.source,
      symbols: result.symbols.map((s) => s.symbol),
      from: new Date(result.from).toISOString(),
      to: new Date(result.to).toISOString(),
      instants: result.instants,
      stepMinutes: 5,
    },
    costs: context.costs,
    annualisation: {
      periodsPerYear: PERIODS_PER_YEAR,
      rule: 'Sharpe and Sortino from 5-minute net returns × √(365 × 288); CAGR over 365-day years; risk-free rate 0',
    },
    strategies: Object.fromEntries(
      Object.entries(result.portfolio).map(([name, m]) => [
        name,
        { description: descriptions.get(name) ?? '', ...m },
      ]),
    ),
    symbols: Object.fromEntries(
      result.symbols.map((s) => [
        s.symbol,
        {
          strategies: s.metrics,
          regimeShare: s.regimeShare,
          regimeSwitchesPerDay: s.regimeSwitchesPerDay,
          missingPredictions: s.missingPredictions,
          ...(s.firstMissingReason ? { firstMissingReason: s.firstMissingReason } : {}),
          missingSteps: s.series.missingSteps,
          chart: basename(paths.chart(s.symbol)),
        },
      ]),
    ),
    seconds: { total: context.seconds, ...result.seconds },
  };
}

const pct = (x: number) => `${(x * 100).toFixed(2)} %`;
const num = (x: number, digits = 2) => x.toFixed(digits);

function metricsTable(rows: [string, StrategyMetrics][]): string[] {
  return [
    '| strategy | total return | before costs | CAGR | Sharpe | Sortino | max drawdown | exposure | turnover | trades | fees paid | slippage paid |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows.map(
      ([name, m]) =>
        `| ${name} | ${pct(m.totalReturn)} | ${pct(m.grossReturn)} | ${pct(m.cagr)} | ${num(m.sharpe)} | ${num(m.sortino)} | ${pct(m.maxDrawdown)} | ${pct(m.exposure)} | ${num(m.turnover, 1)} | ${m.trades} | ${pct(m.feesPaid)} | ${pct(m.slippagePaid)} |`,
    ),
  ];
}

export function renderMarkdown(report: BacktestReport): string {
  const d = report.data;
  const lines = [
    '# Walk-forward backtest',
    '',
    `Model \`${report.model.version}\` (labeler ${report.model.labelerVersion}); candles from ${d.source}.`,
    `Period ${d.from} to ${d.to}: ${d.instants} five-minute as-of instants per symbol (${d.symbols.join(', ')}).`,
    `Costs per side: fee ${report.costs.feeBps} bps, slippage ${report.costs.slippageBps} bps on the traded notional.`,
    '',
    'At each instant T the official prediction is computed from the candles closed by T (the predictor’s',
    'own code path), each strategy names its exposure for (T, T + 5m], and that step’s return applies.',
    '',
    `## Equal-weight portfolio of ${d.symbols.join(' + ')}`,
    '',
    ...metricsTable(Object.entries(report.strategies)),
    '',
  ];
  for (const [symbol, s] of Object.entries(report.symbols)) {
    lines.push(`## ${symbol}`, '', ...metricsTable(Object.entries(s.strategies)), '');
    lines.push(
      `Official regimes over the period: ${REGIMES.map((r) => `${REGIME_LABELS[r]} ${pct(s.regimeShare[r] ?? 0)}`).join(', ')}` +
        `${s.regimeShare.none ? `, no prediction ${pct(s.regimeShare.none)}` : ''}; ` +
        `the official regime changed ${s.regimeSwitchesPerDay.toFixed(1)} times a day.`,
    );
    if (s.missingPredictions > 0) {
      lines.push(
        `${s.missingPredictions} instants had no prediction (first reason: ${s.firstMissingReason}); the strategies saw “no prediction” there.`,
      );
    }
    if (s.missingSteps > 0) lines.push(`${s.missingSteps} five-minute steps had no candle (return 0).`);
    lines.push('', `![${symbol} equity and drawdown](${s.chart})`, '');
  }
  lines.push(
    '## Strategies',
    '',
    ...Object.entries(report.strategies).map(([name, s]) => `- \`${name}\`: ${s.description}`),
    '',
    '## Definitions',
    '',
    '- total return: final equity / 1 − 1; before costs: the same positions with no fee and no slippage; CAGR: final equity ^ (1 / years) − 1 with 365-day years.',
    `- Sharpe: mean / standard deviation of the 5-minute net returns × √${PERIODS_PER_YEAR} (365 × 288; risk-free rate 0).`,
    '- Sortino: mean / downside deviation (√ mean of min(r, 0)² over all steps) × the same factor.',
    '- max drawdown: largest fall from a running equity peak, positive fraction.',
    '- exposure: mean exposure over the steps; turnover: Σ |Δexposure| (2 = one round trip); trades: instants where the exposure changed.',
    '- fees / slippage paid: in units of the starting equity. The portfolio splits the capital equally at the start, never rebalances.',
    '',
    `Run time: ${report.seconds.total.toFixed(1)} s (candles ${report.seconds.candles.toFixed(1)} s, predictions ${report.seconds.predictions.toFixed(1)} s, strategies ${report.seconds.strategies.toFixed(1)} s).`,
    '',
  );
  return lines.join('\n');
}

/** Writes REPORT.md, REPORT.json and one SVG chart per symbol; returns the files written. */
export async function writeReport(
  result: BacktestResult,
  context: ReportContext,
  out: string,
): Promise<string[]> {
  const paths = reportPaths(out);
  await mkdir(dirname(paths.md), { recursive: true });
  const report = buildReport(result, context, out);
  const written: string[] = [];
  for (const s of result.symbols) {
    const svg = await renderSvg(equityChartSpec(s.symbol, s.runs, s.series.instants));
    await writeFile(paths.chart(s.symbol), svg);
    written.push(paths.chart(s.symbol));
  }
  await writeFile(paths.json, `${JSON.stringify(report, null, 2)}\n`);
  await writeFile(paths.md, renderMarkdown(report));
  return [paths.md, paths.json, ...written];
}
