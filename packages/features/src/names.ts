/**
 * Version of the feature definitions: a model artifact records it and is refused by a build whose
 * features are computed differently under the same names. 2: `macd_hist` divided by the close.
 */
export const FEATURES_VERSION = 2;

/** The 12 per-timeframe features, in column order. */
export const FEATURES = [
  'log_ret_1',
  'ema_slope_21',
  'price_vs_ema55',
  'macd_hist',
  'adx',
  'atr_norm',
  'bb_width',
  'realized_vol_20',
  'rsi',
  'roc',
  'stoch_k',
  'wick_ratio',
] as const;
export type Feature = (typeof FEATURES)[number];

/** Timeframes of a window, primary (the step clock) first. */
export const WINDOW_INTERVALS = ['15m', '5m', '1h'] as const;
export type WindowInterval = (typeof WINDOW_INTERVALS)[number];

/** 36 column names: for each interval of WINDOW_INTERVALS, for each feature, `${feature}_${interval}`. */
export const FEATURE_NAMES: readonly string[] = Object.freeze(
  WINDOW_INTERVALS.flatMap((interval) => FEATURES.map((feature) => `${feature}_${interval}`)),
);

export const FEATURE_COUNT = FEATURES.length;
export const WINDOW_STEPS = 64;
