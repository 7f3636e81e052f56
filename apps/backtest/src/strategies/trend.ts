import { EmaCrossover } from '../ema.ts';
import type { Strategy } from '../strategy.ts';

export const FAST_EMA = 21;
export const SLOW_EMA = 55;
/** Four slow periods of 15m closes: the seed's weight in the slow EMA is below 1 % by then. */
export const EMA_LOOKBACK_MS = 4 * SLOW_EMA * 15 * 60_000;

export const strategy: Strategy = {
  name: 'trend',
  description: `long while EMA(${FAST_EMA}) > EMA(${SLOW_EMA}) of the closed 15m closes, flat otherwise; always on`,
  lookbackMs: EMA_LOOKBACK_MS,
  create() {
    const crossover = new EmaCrossover(FAST_EMA, SLOW_EMA);
    return (view) => (crossover.long(view.closes15m) ? 1 : 0);
  },
};
