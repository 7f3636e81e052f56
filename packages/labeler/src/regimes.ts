import { REGIME_IDS } from '@regime/candles';

/** Regime ids in model output order (the softmax index is the position in this array). */
export const REGIMES = REGIME_IDS;

export type Regime = (typeof REGIMES)[number];

export const REGIME_LABELS: Readonly<Record<Regime, string>> = {
  strong_trend: 'Strong Trend',
  weak_trend: 'Weak Trend',
  range: 'Range',
  squeeze: 'Squeeze',
  volatility_spike: 'Volatility Spike',
  choppy_high_vol: 'Choppy High-Vol',
};

export const REGIME_COUNT = REGIMES.length;

export function isRegime(value: string): value is Regime {
  return (REGIMES as readonly string[]).includes(value);
}

export function regimeIndex(regime: Regime): number {
  return REGIMES.indexOf(regime);
}
