export {
  DRIFT_WINDOW_MS,
  type DriftCandleReader,
  type DriftModel,
  type DriftRow,
  driftAsOf,
  driftInstants,
  type SymbolDrift,
} from './drift.ts';
export {
  type CandleSeries,
  CandlesNotReadyError,
  FEATURE_INTERVALS,
  type FeatureInterval,
  inputsAsOf,
  type PredictionInputs,
  type PredictionMode,
} from './inputs.ts';
export {
  decisionInstants,
  historyWarmup,
  modelInputAt,
  type PredictionOutcome,
  type PredictionRequest,
  predictRegimes,
  type StageTimes,
  SymbolCaches,
} from './predict.ts';
