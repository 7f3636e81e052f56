export { aggregateCandles, aggregateSeries } from './aggregate.ts';
export { IncrementalFeatures } from './engine.ts';
export { FeatureError, type FeatureErrorCode, type FeatureErrorDetails } from './errors.ts';
export { Adx, type AdxSeries, adx } from './indicators/adx.ts';
export { Atr, atr } from './indicators/atr.ts';
export { type BollingerSeries, BollingerWidth, bollinger } from './indicators/bollinger.ts';
export { logReturn, wickRatio } from './indicators/candle-shape.ts';
export { Ema, ema, emaAlpha } from './indicators/ema.ts';
export { Macd, type MacdSeries, macd } from './indicators/macd.ts';
export { RealizedVolatility, realizedVolatility } from './indicators/realized-vol.ts';
export { Roc, roc } from './indicators/roc.ts';
export { Rsi, type RsiSeries, rsi } from './indicators/rsi.ts';
export { StochasticK, stochasticK } from './indicators/stochastic.ts';
export {
  FEATURE_COUNT,
  FEATURE_NAMES,
  FEATURES,
  FEATURES_VERSION,
  type Feature,
  WINDOW_INTERVALS,
  WINDOW_STEPS,
  type WindowInterval,
} from './names.ts';
export { type FeatureSeries, featureSeries } from './series.ts';
export { CONVERGENCE_TOLERANCE, INDICATOR_WARMUP, warmupCandles } from './warmup.ts';
export {
  type BatchWindowOptions,
  type CandleHistory,
  type FeatureWindow,
  featureWindow,
  featureWindows,
  type LiveCandles,
  type WindowOptions,
} from './window.ts';
