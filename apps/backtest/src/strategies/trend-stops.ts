import type { Regime } from '@regime/model/runtime';
import { PARAMETERS } from '../parameters.ts';
import type { Strategy } from '../strategy.ts';
import { TRAILING_STOP_LOOKBACK_MS, trailingStopTrend } from '../trailing-stop.ts';

/** The seed's example: "tighten stop-losses when a Volatility Spike is predicted" (and Choppy High-Vol). */
export const TIGHT_STOP_REGIMES: ReadonlySet<Regime> = new Set(['volatility_spike', 'choppy_high_vol']);

/**
 * trend_stops_fixed with a tighter stop while Volatility Spike or Choppy High-Vol is written: the
 * multiple is `tight` then and the twin's own multiple otherwise (and without a prediction).
 */
export function trendStops(multiple: number, tight: number, name = 'trend_stops'): Strategy {
  return {
    name,
    description:
      `trend_stops_fixed (stop ${multiple} × the trailing 4-hour σ below the highest price since entry), ` +
      `tightened to ${tight} × σ while Volatility Spike or Choppy High-Vol is written`,
    twin: 'trend_stops_fixed',
    lookbackMs: TRAILING_STOP_LOOKBACK_MS,
    create: () =>
      trailingStopTrend((view) => {
        const regime = view.prediction?.regime;
        return regime !== undefined && TIGHT_STOP_REGIMES.has(regime) ? tight : multiple;
      }),
  };
}

export const strategy = trendStops(PARAMETERS.trendStopsFixed.multiple, PARAMETERS.trendStops.tightMultiple);
