import type { Regime } from '@regime/model/runtime';
import { EmaCrossover } from '../ema.ts';
import type { Strategy } from '../strategy.ts';
import { EMA_LOOKBACK_MS, FAST_EMA, SLOW_EMA } from './trend.ts';

/** The only regimes the gate lets the trend follower trade in. */
export const TRADED_REGIMES: ReadonlySet<Regime> = new Set(['strong_trend', 'weak_trend']);

export const strategy: Strategy = {
  name: 'trend_gated',
  description:
    `the trend strategy, but in the market only while the official regime is Strong Trend or Weak Trend ` +
    '(flat in Range, Squeeze, Volatility Spike, Choppy High-Vol and without a prediction)',
  twin: 'trend',
  lookbackMs: EMA_LOOKBACK_MS,
  create() {
    const crossover = new EmaCrossover(FAST_EMA, SLOW_EMA);
    return (view) => {
      // Always fed, so the EMAs are the same as the ungated strategy's whatever the gate says.
      const long = crossover.long(view.closes15m);
      const regime = view.prediction?.regime;
      return long && regime !== undefined && TRADED_REGIMES.has(regime) ? 1 : 0;
    };
  },
};
