import { PARAMETERS } from '../parameters.ts';
import type { Strategy } from '../strategy.ts';
import { TRAILING_STOP_LOOKBACK_MS, trailingStopTrend } from '../trailing-stop.ts';

/** trend_stops' regime-free twin: the same trailing stop with one multiple, chosen on validation. */
export function trendStopsFixed(multiple: number, name = 'trend_stops_fixed'): Strategy {
  return {
    name,
    description:
      `long while EMA(21) > EMA(55) of the closed 15m closes; out when the price falls ${multiple} × the ` +
      'trailing 4-hour σ below its highest since entry, back in at the next crossover; no regime',
    lookbackMs: TRAILING_STOP_LOOKBACK_MS,
    create: () => trailingStopTrend(() => multiple),
  };
}

export const strategy = trendStopsFixed(PARAMETERS.trendStopsFixed.multiple);
