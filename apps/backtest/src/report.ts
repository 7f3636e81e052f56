import { mkdir, writeFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { REGIME_LABELS } from '@regime/model/runtime';
import { type RegimeSlice, regimeAttribution, WRITTEN_REGIMES, type WrittenRegime } from './attribution.ts';
import type { BacktestResult, BacktestRow } from './backtest.ts';
import { type BootstrapOptions, DEFAULT_BOOTSTRAP } from './bootstrap.ts';
import { equityChartSpec, renderSvg } from './chart.ts';
import { describeDifference, overallVerdict, type TwinComparison, twinComparisons } from './comparisons.ts';
import type { Costs } from './engine.ts';
import { PERIODS_PER_YEAR, type StrategyMetrics } from './metrics.ts';
import { overlapsChoice, type StrategyParameters } from './parameters.ts';
import type { RegimeSource } from './regime-sources.ts';

export interface ReportContext {
  model: { version: string; labelerVersion: string };
  source: string;
  costs: Costs;
  /** The parameters the strategies were built with (parameters.json). */
  parameters: StrategyParameters;
  /** Wall seconds of the whole run, for the record. */
  seconds: number;
  bootstrap?: BootstrapOptions;
}

type PerRegime = Partial<Record<WrittenRegime, RegimeSlice>>;

export const HINDSIGHT_NOTE = 'look-ahead: a ceiling, not a strategy';

/** REPORT.json: see the app README for every field. */
export interface BacktestReport {
  model: { version: string; labelerVersion: string };
  data: { source: string; symbols: string[]; from: string; to: string; instants: number; stepMinutes: 5 };
  costs: Costs;
  annualisation: { periodsPerYear: number; rule: string };
  /** The one-line answer: does a regime strategy beat its twin? */
  verdict: string;
  parameters: StrategyParameters & { thisRun: string };
  /** Per row: the equal-weight portfolio of all symbols. */
  strategies: Record<
    string,
    StrategyMetrics & { description: string; strategy: string; source: RegimeSource; twin?: string }
  >;
  /** Per row and written (model) regime, over the portfolio. */
  perRegime: Record<string, PerRegime>;
  comparisons: TwinComparison[];
  bootstrap: { blockSteps: number; resamples: number; level: number; seed: number; rule: string };
  symbols: Record<
    string,
    {
      strategies: Record<string, StrategyMetrics>;
      perRegime: Record<string, PerRegime>;
      regimeShare: Record<string, number>;
      regimeSwitchesPerDay: number;
      missingPredictions: number;
      firstMissingReason?: string;
      missingSteps: number;
      labelerMissing: { hindsight: number; causal: number };
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

function rowDescription(row: BacktestRow): string {
  const name = row.strategy.name;
  switch (row.source) {
    case 'model':
      return row.strategy.description;
    case 'causal':
      return `${name} on labeler 2's causal segmentation (its forward filter at T's bar): no look-ahead, no model — what the filter alone gives`;
    case 'hindsight':
      return `${name} on labeler 2's labels (the segmentation of all the data, hindsight) — ${HINDSIGHT_NOTE}`;
  }
}

/**
 * Report order: each regime-free strategy, then the regime strategies that are its twin's, each on
 * the model, the causal segmentation and the hindsight labels; twins side by side.
 */
function orderedRows(rows: readonly BacktestRow[]): BacktestRow[] {
  const sourceOrder: RegimeSource[] = ['model', 'causal', 'hindsight'];
  const out: BacktestRow[] = [];
  for (const free of rows.filter((r) => !r.strategy.twin)) {
    out.push(free);
    const dependents = rows
      .filter((r) => r.strategy.twin === free.strategy.name)
      .sort(
        (a, b) =>
          a.strategy.name.localeCompare(b.strategy.name) ||
          sourceOrder.indexOf(a.source) - sourceOrder.indexOf(b.source),
      );
    out.push(...dependents);
  }
  return out;
}

function thisRun(parameters: StrategyParameters, from: number, to: number): string {
  const chosen = parameters.chosenOn;
  if (!chosen) return 'the parameters are provisional: not chosen on validation (run backtest:choose)';
  const span = `${chosen.from.slice(0, 10)} … ${chosen.to.slice(0, 10)}`;
  return overlapsChoice(parameters, from, to)
    ? `IN SAMPLE: this period overlaps the validation period the parameters were chosen on (${span})`
    : `out of sample: the parameters were chosen on ${span} only, with model ${chosen.model}`;
}

export function buildReport(result: BacktestResult, context: ReportContext, out: string): BacktestReport {
  const paths = reportPaths(out);
  const rows = orderedRows(result.rows);
  const index = new Map(result.rows.map((r, j) => [r.name, j]));
  const bootstrap = { ...DEFAULT_BOOTSTRAP, ...context.bootstrap };
  const position = new Map(rows.map((r, k) => [r.name, k]));
  const comparisons = twinComparisons(result, bootstrap).sort(
    (a, b) => position.get(a.row)! - position.get(b.row)!,
  );
  const perRegime = (symbols: typeof result.symbols) =>
    Object.fromEntries(
      rows.map((row) => [
        row.name,
        regimeAttribution(symbols.map((s) => ({ series: s.series, run: s.runs[index.get(row.name)!]! }))),
      ]),
    );
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
    verdict: overallVerdict(comparisons, bootstrap.level),
    parameters: { ...context.parameters, thisRun: thisRun(context.parameters, result.from, result.to) },
    strategies: Object.fromEntries(
      rows.map((row) => [
        row.name,
        {
          description: rowDescription(row),
          strategy: row.strategy.name,
          source: row.source,
          ...(row.strategy.twin ? { twin: row.strategy.twin } : {}),
          ...result.portfolio[row.name]!,
        },
      ]),
    ),
    perRegime: perRegime(result.symbols),
    comparisons,
    bootstrap: {
      blockSteps: bootstrap.blockSteps,
      resamples: bootstrap.resamples,
      level: bootstrap.level,
      seed: bootstrap.seed,
      rule: 'paired block bootstrap of the portfolio’s 5-minute net returns: consecutive one-day blocks drawn with replacement, the same blocks for the strategy and its twin; percentile interval',
    },
    symbols: Object.fromEntries(
      result.symbols.map((s) => [
        s.symbol,
        {
          strategies: Object.fromEntries(rows.map((row) => [row.name, s.metrics[row.name]!])),
          perRegime: perRegime([s]),
          regimeShare: s.regimeShare,
          regimeSwitchesPerDay: s.regimeSwitchesPerDay,
          missingPredictions: s.missingPredictions,
          ...(s.firstMissingReason ? { firstMissingReason: s.firstMissingReason } : {}),
          missingSteps: s.series.missingSteps,
          labelerMissing: s.labelerMissing,
          chart: basename(paths.chart(s.symbol)),
        },
      ]),
    ),
    seconds: { total: context.seconds, ...result.seconds },
  };
}

const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
const num = (x: number, digits = 2) => x.toFixed(digits);

function metricsTable(rows: [string, StrategyMetrics][]): string[] {
  return [
    '| strategy | total return | before costs | Sharpe | Sortino | max drawdown | Calmar | exposure | time in market | turnover | trades | fees paid |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows.map(
      ([name, m]) =>
        `| ${name} | ${pct(m.totalReturn)} | ${pct(m.grossReturn)} | ${num(m.sharpe)} | ${num(m.sortino)} | ${pct(m.maxDrawdown)} | ${num(m.calmar)} | ${pct(m.exposure)} | ${pct(m.timeInMarket)} | ${num(m.turnover, 1)} | ${m.trades} | ${pct(m.feesPaid)} |`,
    ),
  ];
}

function comparisonTable(report: BacktestReport): string[] {
  const level = Math.round(report.bootstrap.level * 100);
  return [
    `| regime strategy | regime written by | twin | Sharpe | twin's Sharpe | Sharpe difference [${level} % interval] | verdict |`,
    '| --- | --- | --- | ---: | ---: | ---: | --- |',
    ...report.comparisons.map((c) => {
      const source = c.source === 'hindsight' ? `hindsight labels (${HINDSIGHT_NOTE})` : c.source;
      return `| ${c.row} | ${source} | ${c.twin} | ${num(report.strategies[c.row]!.sharpe)} | ${num(report.strategies[c.twin]!.sharpe)} | ${describeDifference(c)} | ${c.verdict} |`;
    }),
  ];
}

function perRegimeTable(perRegime: Record<string, PerRegime>): string[] {
  const written = WRITTEN_REGIMES.filter((r) => Object.values(perRegime).some((p) => p[r]));
  const label = (r: WrittenRegime) => (r === 'none' ? 'no prediction' : REGIME_LABELS[r]);
  const first = perRegime[Object.keys(perRegime)[0]!]!;
  return [
    `| strategy | ${written.map(label).join(' | ')} |`,
    `| --- | ${written.map(() => '---:').join(' | ')} |`,
    `| _share of the time written_ | ${written.map((r) => pct(first[r]?.share ?? 0)).join(' | ')} |`,
    ...Object.entries(perRegime).map(
      ([name, p]) =>
        `| ${name} | ${written.map((r) => (p[r] ? `${pct(p[r].pnl)} · ${pct(p[r].timeInMarket)}` : '')).join(' | ')} |`,
    ),
  ];
}

function parameterLines(p: BacktestReport['parameters']): string[] {
  const grid = (g: { value: number; sharpe: number; exposure: number }[], unit = '') =>
    g.length
      ? ` Grid (value → validation Sharpe): ${g.map((x) => `${x.value}${unit} → ${num(x.sharpe)}`).join(', ')}.`
      : '';
  const c = p.chosenOn;
  return [
    c
      ? `Chosen on validation ${c.from.slice(0, 10)} … ${c.to.slice(0, 10)} (${c.symbols.join(', ')}, model \`${c.model}\`, fee ${c.feeBps} bps, slippage ${c.slippageBps} bps) by \`${c.command}\`, ${c.at}; ${p.thisRun}.`
      : `Provisional values: ${p.thisRun}.`,
    '',
    `- vol_target: annualised volatility target ${pct(p.volTarget.annualisedVolatility)}. ${p.volTarget.rule}.${grid(p.volTarget.grid)}`,
    `- trend_gated_dwell: k = ${p.trendGatedDwell.k} instants. ${p.trendGatedDwell.rule}.${grid(p.trendGatedDwell.grid)}`,
    `- vol_scaled_dwell: k = ${p.volScaledDwell.k} instants. ${p.volScaledDwell.rule}.${grid(p.volScaledDwell.grid)}`,
    `- trend_stops_fixed (and trend_stops outside the tight regimes): stop at ${p.trendStopsFixed.multiple} × the trailing 4-hour σ. ${p.trendStopsFixed.rule}.${grid(p.trendStopsFixed.grid, ' σ')}`,
    `- trend_stops in Volatility Spike and Choppy High-Vol: ${p.trendStops.tightMultiple} × σ. ${p.trendStops.rule}.${grid(p.trendStops.grid, ' σ')}`,
  ];
}

export function renderMarkdown(report: BacktestReport): string {
  const d = report.data;
  const level = Math.round(report.bootstrap.level * 100);
  const lines = [
    '# Walk-forward backtest',
    '',
    `Model \`${report.model.version}\` (labeler ${report.model.labelerVersion}); candles from ${d.source}.`,
    `Period ${d.from} to ${d.to}: ${d.instants} five-minute as-of instants per symbol (${d.symbols.join(', ')}).`,
    `Costs per side: fee ${report.costs.feeBps} bps, slippage ${report.costs.slippageBps} bps on the traded notional.`,
    '',
    'At each instant T the official prediction is computed from the candles closed by T (the predictor’s',
    'own code path), each strategy names its exposure for (T, T + 5m], and that step’s return applies.',
    'Each regime strategy is also run on labeler 2’s causal segmentation (`@causal`: no look-ahead, no',
    `model) and on its hindsight labels (\`@hindsight\`: ${HINDSIGHT_NOTE}).`,
    '',
    `**Verdict.** ${report.verdict}`,
    '',
    '## Regime strategies against their regime-free twins',
    '',
    `Sharpe difference of the equal-weight portfolio after costs, with a ${level} % block-bootstrap interval`,
    `(one-day blocks, ${report.bootstrap.resamples} resamples, paired). “beats its twin”: the interval is above 0.`,
    '',
    ...comparisonTable(report),
    '',
    `## Equal-weight portfolio of ${d.symbols.join(' + ')}`,
    '',
    ...metricsTable(Object.entries(report.strategies)),
    '',
    '## Per regime',
    '',
    'Each cell: P&L while the model wrote that regime (in % of the starting equity, costs included; a row’s',
    'cells add up to its total return) · time in market while it was written. The same split of the time',
    'for every row, the model’s written regime, so twins compare cell by cell.',
    '',
    ...perRegimeTable(report.perRegime),
    '',
    '## Parameters',
    '',
    ...parameterLines(report.parameters),
    '',
  ];
  for (const [symbol, s] of Object.entries(report.symbols)) {
    lines.push(`## ${symbol}`, '', ...metricsTable(Object.entries(s.strategies)), '');
    lines.push(
      `Official regimes over the period: ${WRITTEN_REGIMES.filter((r) => r !== 'none')
        .map((r) => `${REGIME_LABELS[r]} ${pct(s.regimeShare[r] ?? 0)}`)
        .join(', ')}` +
        `${s.regimeShare.none ? `, no prediction ${pct(s.regimeShare.none)}` : ''}; ` +
        `the official regime changed ${s.regimeSwitchesPerDay.toFixed(1)} times a day.`,
    );
    if (s.missingPredictions > 0) {
      lines.push(
        `${s.missingPredictions} instants had no prediction (first reason: ${s.firstMissingReason}); the strategies saw “no prediction” there.`,
      );
    }
    if (s.labelerMissing.hindsight + s.labelerMissing.causal > 0) {
      lines.push(
        `Labeler 2 wrote no regime at ${s.labelerMissing.causal} instants (causal) and ${s.labelerMissing.hindsight} (hindsight: the last 6 hours are not settled, and gaps); the @ rows saw “no prediction” there.`,
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
    '- total return: final equity / 1 − 1; before costs: the same positions with no fee and no slippage; CAGR: final equity ^ (1 / years) − 1 with 365-day years; Calmar: CAGR ÷ max drawdown.',
    `- Sharpe: mean / standard deviation of the 5-minute net returns × √${PERIODS_PER_YEAR} (365 × 288; risk-free rate 0).`,
    '- Sortino: mean / downside deviation (√ mean of min(r, 0)² over all steps) × the same factor.',
    '- max drawdown: largest fall from a running equity peak, positive fraction.',
    '- exposure: mean exposure over the steps; time in market: share of the steps with a position; turnover: Σ |Δexposure| (2 = one round trip); trades: instants where the exposure changed.',
    '- fees / slippage paid: in units of the starting equity. The portfolio splits the capital equally at the start, never rebalances.',
    `- Sharpe difference interval: ${report.bootstrap.rule}; seed ${report.bootstrap.seed}.`,
    '',
    `Run time: ${report.seconds.total.toFixed(1)} s (candles ${report.seconds.candles.toFixed(1)} s, predictions ${report.seconds.predictions.toFixed(1)} s, strategies ${report.seconds.strategies.toFixed(1)} s).`,
    '',
  );
  return lines.join('\n');
}

/** Writes REPORT.md, REPORT.json and one SVG chart per symbol; returns the report and the files written. */
export async function writeReport(
  result: BacktestResult,
  context: ReportContext,
  out: string,
): Promise<{ report: BacktestReport; files: string[] }> {
  const paths = reportPaths(out);
  await mkdir(dirname(paths.md), { recursive: true });
  const report = buildReport(result, context, out);
  const written: string[] = [];
  for (const s of result.symbols) {
    // The strategies on the model's regimes; the @causal and @hindsight rows are in the tables.
    const runs = s.runs.filter((_, j) => result.rows[j]!.source === 'model');
    const svg = await renderSvg(equityChartSpec(s.symbol, runs, s.series.instants));
    await writeFile(paths.chart(s.symbol), svg);
    written.push(paths.chart(s.symbol));
  }
  await writeFile(paths.json, `${JSON.stringify(report, null, 2)}\n`);
  await writeFile(paths.md, renderMarkdown(report));
  return { report, files: [paths.md, paths.json, ...written] };
}
