export { type Clock, exchangeClock, wallClock } from './clock.ts';
export { configSchema, loadPredictorConfig, type PredictorConfig, toPredictorConfig } from './config.ts';
export {
  type CandleSeries,
  CandlesNotReadyError,
  FEATURE_INTERVALS,
  type FeatureInterval,
  inputsAsOf,
  type PredictionInputs,
} from './inputs.ts';
export { type PredictionOutcome, type PredictionRequest, predictRegimes } from './predict.ts';
export { type Predictor, startPredictor } from './predictor.ts';
export { asOfWindow, latestDueAsOf, MODE_STEP_MS, type PredictionMode, predictionJobId } from './schedule.ts';
