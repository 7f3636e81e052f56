import { PARAMETERS } from '../parameters.ts';
import type { Strategy } from '../strategy.ts';
import { BARS_15M_PER_YEAR, TrailingVolatility } from '../trailing-volatility.ts';

/** One day of 15-minute returns: the trailing realised volatility the exposure is scaled by. */
export const VOLATILITY_BARS = 96;
export const VOLATILITY_LOOKBACK_MS = (VOLATILITY_BARS + 1) * 15 * 60_000;

/**
 * vol_scaled's regime-free twin: always long, exposure min(1, target ÷ trailing realised volatility)
 * (both annualised). The target is chosen on validation so that the twin holds, on average, as much
 * as vol_scaled does there: the same risk budget, spent by volatility instead of by regime.
 */
export function volTarget(annualisedTarget: number, name = 'vol_target'): Strategy {
  const target = annualisedTarget / Math.sqrt(BARS_15M_PER_YEAR);
  return {
    name,
    description:
      `always long, exposure min(1, ${(annualisedTarget * 100).toFixed(0)} % ÷ the annualised realised ` +
      `volatility of the last ${VOLATILITY_BARS} closed 15m returns); flat until they are known; no regime`,
    lookbackMs: VOLATILITY_LOOKBACK_MS,
    create() {
      const volatility = new TrailingVolatility(VOLATILITY_BARS);
      return (view) => {
        const sigma = volatility.sigma(view.closes15m);
        if (sigma === undefined) return 0;
        return sigma > 0 ? Math.min(1, target / sigma) : 1;
      };
    },
  };
}

export const strategy = volTarget(PARAMETERS.volTarget.annualisedVolatility);
