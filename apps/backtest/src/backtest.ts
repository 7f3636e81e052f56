import { INTERVAL_MS } from '@regime/candles';
import type { CandleHistory } from '@regime/features';
import { historyWarmup } from '@regime/inference';
import type { Regime } from '@regime/model';
import type { CandleSource } from '@regime/model/candle-source';
import { BadInputError } from './config.ts';
import { type Costs, runStrategy, type StrategyRun } from './engine.ts';
import { type MarketSeries, marketSeries, regimeShare, regimeSwitchesPerDay } from './market.ts';
import { portfolioMetrics, runMetrics, type StrategyMetrics } from './metrics.ts';
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
  /** Instants predicted so far, over all symbols, out of `total`. */
  onProgress?: (p: {
    stage: 'candles' | 'predictions';
    done: number;
    total: number;
    symbol?: string;
  }) => void;
}

export interface SymbolResult {
  symbol: string;
  series: MarketSeries;
  runs: StrategyRun[];
  metrics: Record<string, StrategyMetrics>;
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
  symbols: SymbolResult[];
  /** Equal-weight portfolio of the symbols, per strategy. */
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
  const results: SymbolResult[] = symbols.map((symbol, k) => {
    const series = marketSeries(symbol, histories[k]!, instants, predictions[k]!);
    const runs = strategies.map((s) => runStrategy(series, s, costs));
    const missing = predictions[k]!.filter((p) => !p.ok);
    const firstMissing = missing[0];
    return {
      symbol,
      series,
      runs,
      metrics: Object.fromEntries(runs.map((r) => [r.strategy, runMetrics(r, periodMs)])),
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
    strategies.map((s) => [
      s.name,
      portfolioMetrics(
        results.map((r) => r.runs.find((run) => run.strategy === s.name)!),
        periodMs,
      ),
    ]),
  );
  return {
    from,
    to,
    instants: instants.length,
    symbols: results,
    portfolio,
    seconds: {
      candles: candleSeconds,
      predictions: predictionSeconds,
      strategies: (performance.now() - started) / 1000,
    },
  };
}
