/**
 * `@regime/model/runtime`: what inference needs, without tfjs — load a verified artifact and predict
 * on the inference kernel (kernel/), and the decision layer. The predictor, the console, the backtest
 * and @regime/inference import this entry; the main entry adds training, tuning and evaluation (tfjs).
 * A test walks this file's imports and fails if any reaches @tensorflow.
 */
export { REGIME_COUNT, REGIME_LABELS, REGIMES, type Regime } from '@regime/labeler';
export {
  ARTIFACT_FILES,
  type InferenceArtifact,
  ModelArtifactError,
  readInferenceArtifact,
} from './artifact-files.ts';
export { type DecisionRule, MAX_DECISION_SPAN_MINUTES } from './decision.ts';
// Drift needs the training distribution and PSI at inference time (the trainer's hourly check).
export * from './drift/distribution.ts';
export * from './drift/input-names.ts';
export * from './drift/io.ts';
export * from './drift/psi.ts';
export { compileNetwork, KernelNetwork, type KernelOptions, type SavedNetwork } from './kernel/index.ts';
export type { ModelMetadata } from './metadata.ts';
export {
  decidePrediction,
  defaultModelDir,
  loadRegimeModel,
  type ModelInput,
  type RegimeModel,
  type RegimePrediction,
  toPrediction,
} from './model.ts';
