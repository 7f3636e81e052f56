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
