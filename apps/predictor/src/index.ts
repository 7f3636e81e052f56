export { configSchema, loadPredictorConfig, type PredictorConfig, toPredictorConfig } from './config.ts';
export { type Predictor, startPredictor } from './predictor.ts';
export { asOfWindow, latestDueAsOf, MODE_STEP_MS, type PredictionMode, predictionJobId } from './schedule.ts';
