import type { Regime } from '@regime/model/runtime';
import type { Strategy } from '../strategy.ts';

/**
 * Long exposure per official regime: full in the calm and trending regimes, half in Choppy High-Vol,
 * a quarter in Volatility Spike. Without a prediction (a gap in the candles) it holds half.
 */
export const EXPOSURE_BY_REGIME: Readonly<Record<Regime, number>> = {
  strong_trend: 1,
  weak_trend: 1,
  range: 1,
  squeeze: 1,
  choppy_high_vol: 0.5,
  volatility_spike: 0.25,
};
export const EXPOSURE_WITHOUT_PREDICTION = 0.5;

/** The exposure vol_scaled holds for a written regime (or for no prediction). */
export function exposureFor(regime: Regime | undefined): number {
  return regime === undefined ? EXPOSURE_WITHOUT_PREDICTION : EXPOSURE_BY_REGIME[regime];
}

export const strategy: Strategy = {
  name: 'vol_scaled',
  description:
    'always long, exposure scaled by the official regime: 1 in Strong Trend, Weak Trend, Range and ' +
    'Squeeze, 0.5 in Choppy High-Vol, 0.25 in Volatility Spike (0.5 without a prediction)',
  twin: 'vol_target',
  create: () => (view) => exposureFor(view.prediction?.regime),
};
