import { Dwell } from '../dwell.ts';
import { EmaCrossover } from '../ema.ts';
import { PARAMETERS } from '../parameters.ts';
import type { Strategy } from '../strategy.ts';
import { EMA_LOOKBACK_MS, FAST_EMA, SLOW_EMA } from './trend.ts';
import { TRADED_REGIMES } from './trend-gated.ts';

/**
 * trend_gated with a dwell rule on the gate: it opens once Strong or Weak Trend has been written at
 * k consecutive instants and closes once neither has been written at k consecutive instants. The
 * EMAs are fed at every instant, as in trend. k is chosen on validation.
 */
export function trendGatedDwell(k: number, name = 'trend_gated_dwell'): Strategy {
  return {
    name,
    description:
      `trend_gated, but the gate opens only after Strong or Weak Trend has been written at ${k} consecutive ` +
      `instants (${k * 5} minutes) and closes only after ${k} consecutive instants of another regime or none`,
    twin: 'trend',
    lookbackMs: EMA_LOOKBACK_MS,
    create() {
      const crossover = new EmaCrossover(FAST_EMA, SLOW_EMA);
      const gate = new Dwell(k, false);
      return (view) => {
        const long = crossover.long(view.closes15m);
        const regime = view.prediction?.regime;
        const open = gate.update(regime !== undefined && TRADED_REGIMES.has(regime));
        return long && open ? 1 : 0;
      };
    },
  };
}

export const strategy = trendGatedDwell(PARAMETERS.trendGatedDwell.k);
