import type { RegimePrediction } from '@regime/model/runtime';

/**
 * Everything a strategy may know when it decides the position for (T, T + 5m]: nothing after T.
 * The engine builds it; `closes15m` is a view that ends with the newest 15m candle closed by T.
 */
export interface MarketView {
  readonly asOf: number;
  /** Close of the newest 5m candle closed by T. */
  readonly price: number;
  /** Closes of the 15m candles closed by T, oldest first (a view: no later candle is reachable). */
  readonly closes15m: Float64Array;
  /** The official prediction as of T, or undefined when none could be made. */
  readonly prediction: RegimePrediction | undefined;
}

/** Target exposure for the next step: 0 = flat, 1 = fully long (fractions allowed, no leverage). */
export type Decide = (view: MarketView) => number;

export interface Strategy {
  /** snake_case id used in reports, REPORT.json and the backtest_equity table. */
  readonly name: string;
  readonly description: string;
  /**
   * A regime strategy names its regime-free twin: the same rule without the regime (the report
   * measures the regime against it). Only regime strategies get @hindsight and @causal rows.
   */
  readonly twin?: string;
  /** How much history before the first instant it needs to be warm (ms); the backtest reads that much. */
  readonly lookbackMs?: number;
  /** A fresh decision function per run (it may keep state, e.g. running EMAs, across calls). */
  create(): Decide;
}
