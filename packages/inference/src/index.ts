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
  type PredictionOutcome,
  type PredictionRequest,
  predictRegimes,
  type WindowCache,
} from './predict.ts';
