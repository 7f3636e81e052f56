import type { MarketSeries } from './market.ts';
import type { Decide, MarketView, Strategy } from './strategy.ts';

/** Trading costs, each charged per side on the traded notional: |Δexposure| × equity × bps / 10 000. */
export interface Costs {
  feeBps: number;
  slippageBps: number;
}

/** One strategy on one symbol, step by step (index i = holding period (T_i, T_i + 5m]). */
export interface StrategyRun {
  strategy: string;
  symbol: string;
  /** Exposure held over step i, decided at T_i. */
  positions: Float64Array;
  /** Net return of step i, costs of the trade at T_i included. */
  returns: Float64Array;
  /** Equity at T_i + 5m (starting equity 1 at T_0). */
  equity: Float64Array;
  /** Final equity had trading been free: the strategy's market return before costs. */
  grossEquity: number;
  /** Sum of fees, in units of the starting equity. */
  feesPaid: number;
  slippagePaid: number;
  /** Sum of |Δexposure| over all instants. */
  turnover: number;
  /** Instants where the exposure changed (each is one order). */
  trades: number;
}

/**
 * Walks the instants in order. At T_i the strategy sees only what is known at T_i (its MarketView)
 * and names the exposure for (T_i, T_i + 5m]; the trade to get there is filled at price[i] and
 * costs |Δexposure| × equity × (fee + slippage) bps; then the step return applies to the exposure
 * held. The position left at the end is not closed (the last equity is marked to market).
 */
export function runStrategy(series: MarketSeries, strategy: Strategy, costs: Costs): StrategyRun {
  const decide: Decide = strategy.create();
  const n = series.instants.length;
  const positions = new Float64Array(n);
  const returns = new Float64Array(n);
  const equity = new Float64Array(n);
  const feeRate = costs.feeBps / 10_000;
  const slippageRate = costs.slippageBps / 10_000;
  let value = 1;
  let gross = 1;
  let held = 0;
  let feesPaid = 0;
  let slippagePaid = 0;
  let turnover = 0;
  let trades = 0;
  let known15m = 0;
  for (let i = 0; i < n; i++) {
    const asOf = series.instants[i]!;
    while (known15m < series.closeTimes15m.length && series.closeTimes15m[known15m]! <= asOf) known15m++;
    const view: MarketView = {
      asOf,
      price: series.price[i]!,
      closes15m: series.closes15m.subarray(0, known15m),
      prediction: series.predictions[i],
    };
    const target = decide(view);
    if (!(target >= 0 && target <= 1)) {
      throw new Error(
        `strategy ${strategy.name} asked for exposure ${target} at ${new Date(asOf).toISOString()}`,
      );
    }
    const traded = Math.abs(target - held);
    const start = value;
    if (traded > 0) {
      const fee = value * traded * feeRate;
      const slippage = value * traded * slippageRate;
      feesPaid += fee;
      slippagePaid += slippage;
      value -= fee + slippage;
      turnover += traded;
      trades++;
    }
    held = target;
    value *= 1 + held * series.stepReturn[i]!;
    gross *= 1 + held * series.stepReturn[i]!;
    positions[i] = held;
    equity[i] = value;
    returns[i] = value / start - 1;
  }
  return {
    strategy: strategy.name,
    symbol: series.symbol,
    positions,
    returns,
    equity,
    grossEquity: gross,
    feesPaid,
    slippagePaid,
    turnover,
    trades,
  };
}
