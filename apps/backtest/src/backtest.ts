import { INTERVAL_MS } from '@regime/candles';
import type { CandleHistory } from '@regime/features';
import { historyWarmup } from '@regime/inference';
import { DEFAULT_LABELER_PARAMS, type LabelerParams } from '@regime/labeler';
import type { CandleSource } from '@regime/model/candle-source';
import type { Regime } from '@regime/model/runtime';
import { BadInputError } from './config.ts';
import { type Costs, runStrategy, type StrategyRun } from './engine.ts';
import { type MarketSeries, marketSeries, regimeShare, regimeSwitchesPerDay } from './market.ts';
import { portfolioMetrics, runMetrics, type StrategyMetrics } from './metrics.ts';
import { LABELER_SOURCES, labelerRegimes, type RegimeSource, withRegimes } from './regime-sources.ts';
import type { Strategy } from './strategy.ts';
import { asOfInstants, type InstantPrediction } from './walk-forward.ts';

/** Computes the official predictions of one symbol at the given instants (in process or in workers). */
export type PredictSymbol = (
  symbol: string,
  history: CandleHistory,
  instants: readonly number[],
  onProgress: (done: number) => void,
) => Promise<InstantPrediction[]>;

export interface BacktestInput {
  symbols: readonly string[];
  from: number;
  to: number;
  costs: Costs;
  source: CandleSource;
  predict: PredictSymbol;
  strategies: readonly Strategy[];
  /**
   * Who writes the regimes the regime strategies (those with a twin) are run on: the model always;
   * with 'hindsight' and 'causal' also labeler 2's labels and causal segmentation (default: all).
   */
  sources?: readonly RegimeSource[];
  /** Labeler 2's parameters for those rows: the loaded model's (default: this build's). */
  labelerParams?: LabelerParams;
  /** Instants predicted so far, over all symbols, out of `total`. */
  onProgress?: (p: {
    stage: 'candles' | 'predictions';
    done: number;
    total: number;
    symbol?: string;
  }) => void;
}

/**
 * One row of the report: a strategy on the regimes of one source. Its name is the strategy's for the
 * model and `<strategy>@hindsight` / `<strategy>@causal` for labeler 2's two writers.
 */
export interface BacktestRow {
  name: string;
  strategy: Strategy;
  source: RegimeSource;
}

export function rowName(strategy: string, source: RegimeSource): string {
  return source === 'model' ? strategy : `${strategy}@${source}`;
}

/** Every strategy on the model's regimes; each regime strategy also on the other sources asked for. */
export function backtestRows(
  strategies: readonly Strategy[],
  sources: readonly RegimeSource[] = ['model', ...LABELER_SOURCES],
): BacktestRow[] {
  const rows: BacktestRow[] = strategies.map((strategy) => ({
    name: strategy.name,
    strategy,
    source: 'model',
  }));
  for (const source of LABELER_SOURCES) {
    if (!sources.includes(source)) continue;
    for (const strategy of strategies) {
      if (strategy.twin) rows.push({ name: rowName(strategy.name, source), strategy, source });
    }
  }
  return rows;
}

export interface SymbolResult {
  symbol: string;
  series: MarketSeries;
  /** One run per row, in the order of BacktestResult.rows (run.strategy is the row's name). */
  runs: StrategyRun[];
  metrics: Record<string, StrategyMetrics>;
  /** Instants where labeler 2 writes no regime (hindsight: the last 6 hours, unsettled; gaps). */
  labelerMissing: Record<(typeof LABELER_SOURCES)[number], number>;
  regimeShare: Record<Regime | 'none', number>;
  regimeSwitchesPerDay: number;
  /** Instants without a prediction, with the first reason seen. */
  missingPredictions: number;
  firstMissingReason?: string;
  candles: { '5m': number; '15m': number; '1h': number };
}

export interface BacktestResult {
  from: number;
  to: number;
  instants: number;
  rows: BacktestRow[];
  symbols: SymbolResult[];
  /** Equal-weight portfolio of the symbols, per row. */
  portfolio: Record<string, StrategyMetrics>;
  seconds: { candles: number; predictions: number; strategies: number };
}

/**
 * How far before --from candles are read: the feature warm-up of the first instant and the longest
 * look-back of the strategies (so both are warm at --from), plus a day of slack for gaps.
 */
export function historyStart(from: number, strategies: readonly Strategy[]): number {
  const warmup = historyWarmup();
  const features = Math.max(...(['5m', '15m', '1h'] as const).map((i) => (warmup[i] + 1) * INTERVAL_MS[i]));
  const lookback = Math.max(0, ...strategies.map((s) => s.lookbackMs ?? 0));
  return from - Math.max(features, lookback) - 86_400_000;
}

/**
 * The walk-forward backtest: candles → official prediction at every 5-minute instant in [from, to)
 * → every strategy on the same instants and costs → metrics per symbol and for the equal-weight
 * portfolio. Throws BadInputError when a symbol has no candles in the period.
 */
export async function runBacktest(input: BacktestInput): Promise<BacktestResult> {
  const { symbols, from, to, costs, source, predict, strategies } = input;
  const instants = asOfInstants(from, to);
  const total = instants.length * symbols.length;
  let started = performance.now();
  const histories: CandleHistory[] = [];
  for (const symbol of symbols) {
    input.onProgress?.({ stage: 'candles', done: histories.length, total: symbols.length, symbol });
    const history = await source.history(symbol, { from: historyStart(from, strategies), to });
    const inPeriod = history['5m'].filter((c) => c.openTime >= from && c.openTime < to).length;
    if (inPeriod === 0) {
      throw new BadInputError([
        `no 5m candles for ${symbol} from ${new Date(from).toISOString()} to ${new Date(to).toISOString()} in ${source.description}`,
      ]);
    }
    histories.push(history);
  }
  const candleSeconds = (performance.now() - started) / 1000;

  started = performance.now();
  const done = new Array(symbols.length).fill(0);
  const report = () =>
    input.onProgress?.({ stage: 'predictions', done: done.reduce((a, b) => a + b, 0), total });
  const predictions = await Promise.all(
    symbols.map((symbol, k) =>
      predict(symbol, histories[k]!, instants, (n) => {
        done[k] = n;
        report();
      }),
    ),
  );
  const predictionSeconds = (performance.now() - started) / 1000;

  started = performance.now();
  const periodMs = instants.length * 300_000;
  const rows = backtestRows(strategies, input.sources);
  const needsLabeler = rows.some((r) => r.source !== 'model');
  const results: SymbolResult[] = symbols.map((symbol, k) => {
    const series = marketSeries(symbol, histories[k]!, instants, predictions[k]!);
    const labeler = needsLabeler
      ? labelerRegimes(histories[k]!['5m'], instants, input.labelerParams ?? DEFAULT_LABELER_PARAMS)
      : undefined;
    const seriesOf = {
      model: series,
      hindsight: labeler ? withRegimes(series, labeler.hindsight) : series,
      causal: labeler ? withRegimes(series, labeler.causal) : series,
    };
    const runs = rows.map((row) => ({
      ...runStrategy(seriesOf[row.source], row.strategy, costs),
      strategy: row.name,
    }));
    const missing = predictions[k]!.filter((p) => !p.ok);
    const firstMissing = missing[0];
    const none = (regimes: readonly (Regime | undefined)[] | undefined) =>
      regimes ? regimes.filter((r) => r === undefined).length : 0;
    return {
      symbol,
      series,
      runs,
      metrics: Object.fromEntries(runs.map((r) => [r.strategy, runMetrics(r, periodMs)])),
      labelerMissing: { hindsight: none(labeler?.hindsight), causal: none(labeler?.causal) },
      regimeShare: regimeShare(series),
      regimeSwitchesPerDay: regimeSwitchesPerDay(series),
      missingPredictions: missing.length,
      ...(firstMissing && !firstMissing.ok ? { firstMissingReason: firstMissing.reason } : {}),
      candles: {
        '5m': histories[k]!['5m'].length,
        '15m': histories[k]!['15m'].length,
        '1h': histories[k]!['1h'].length,
      },
    };
  });
  const portfolio = Object.fromEntries(
    rows.map((row, j) => [
      row.name,
      portfolioMetrics(
        results.map((r) => r.runs[j]!),
        periodMs,
      ),
    ]),
  );
  return {
    from,
    to,
    instants: instants.length,
    rows,
    symbols: results,
    portfolio,
    seconds: {
      candles: candleSeconds,
      predictions: predictionSeconds,
      strategies: (performance.now() - started) / 1000,
    },
  };
}
