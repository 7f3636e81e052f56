import { EmaCrossover } from './ema.ts';
import { EMA_LOOKBACK_MS, FAST_EMA, SLOW_EMA } from './strategies/trend.ts';
import { VOLATILITY_BARS, VOLATILITY_LOOKBACK_MS } from './strategies/vol-target.ts';
import type { Decide, MarketView } from './strategy.ts';
import { TrailingVolatility } from './trailing-volatility.ts';

/** 15-minute steps in the horizon the stop distance is measured over (4 hours, the regimes' window). */
const STOP_HORIZON_BARS = 16;

export const TRAILING_STOP_LOOKBACK_MS = Math.max(EMA_LOOKBACK_MS, VOLATILITY_LOOKBACK_MS);

/**
 * The trend follower with a trailing stop: long while EMA(21) > EMA(55) of the closed 15m closes;
 * out as soon as the price known at T falls m × σ below the highest price seen since entry, where σ
 * is the trailing 4-hour volatility (the last day's 15-minute σ × √16, as a log distance). After a
 * stop it stays flat until the EMAs disagree and agree again (a new crossover), so one trend is
 * entered once. `multipleAt` gives m at each instant (fixed, or smaller in some regimes).
 */
export function trailingStopTrend(multipleAt: (view: MarketView) => number): Decide {
  const crossover = new EmaCrossover(FAST_EMA, SLOW_EMA);
  const volatility = new TrailingVolatility(VOLATILITY_BARS);
  let held = false;
  let stopped = false;
  let highest = 0;
  return (view) => {
    const long = crossover.long(view.closes15m);
    const sigma = volatility.sigma(view.closes15m);
    // Read at every instant, whatever the position, so a stateful rule sees every instant.
    const m = multipleAt(view);
    if (!long || sigma === undefined) {
      held = false;
      stopped = false;
      return 0;
    }
    if (stopped) return 0;
    if (!held) {
      held = true;
      highest = view.price;
    }
    highest = Math.max(highest, view.price);
    if (Math.log(highest / view.price) >= m * sigma * Math.sqrt(STOP_HORIZON_BARS)) {
      held = false;
      stopped = true;
      return 0;
    }
    return 1;
  };
}
