import { FEATURE_NAMES, FEATURES_VERSION, WINDOW_STEPS } from '@regime/features';
import {
  DEFAULT_LABELER_PARAMS,
  LABELER_VERSION,
  VIEW_BAR_NAMES,
  VIEW_BARS,
  VIEW_SUMMARY_NAMES,
} from '@regime/labeler';
import {
  ARTIFACT_FORMAT,
  buildNetwork,
  CALENDAR_NAMES,
  featureIntervals,
  initTensorflow,
  type ModelMetadata,
  REGIMES,
  WIDE_WIDTH,
  writeArtifact,
} from './index.ts';

/**
 * A small untrained network saved as a complete artifact folder, for tests and benchmarks that need
 * *a* model (the predictor and the backtest must reproduce whatever the model says, not a good
 * answer). `seed` changes the weights, so two versions give different probabilities. Exported as
 * `@regime/model/tiny-model` so apps' tests share it without importing one another.
 */
function unitScaler(names: readonly string[]) {
  return { featureNames: [...names], mean: names.map(() => 0), std: names.map(() => 1), clip: 3 };
}

function zeroLogistic(featureCount: number) {
  return {
    featureCount,
    weights: new Array(featureCount * REGIMES.length).fill(0),
    bias: REGIMES.map(() => 0),
  };
}

export async function createTinyModel(dir: string, version = 'tiny-test-1', seed = 7): Promise<void> {
  await initTensorflow();
  const network = { groupBars: 4, units: 8, windowUnits: 4, hidden: 8, dropout: 0, seed };
  const model = buildNetwork(WINDOW_STEPS, FEATURE_NAMES.length, network);
  const intervals = featureIntervals(FEATURE_NAMES);
  const period = { from: '2024-01-01T00:00:00.000Z', to: '2024-01-02T00:00:00.000Z' };
  const metadata: ModelMetadata = {
    format: ARTIFACT_FORMAT,
    version,
    createdAt: new Date(0).toISOString(),
    featureNames: [...FEATURE_NAMES],
    featuresVersion: FEATURES_VERSION,
    calendarNames: [...CALENDAR_NAMES],
    intervals,
    primaryInterval: intervals[0]!,
    steps: WINDOW_STEPS,
    view: { summaryNames: [...VIEW_SUMMARY_NAMES], barNames: [...VIEW_BAR_NAMES], bars: VIEW_BARS },
    regimes: [...REGIMES],
    labeler: { version: LABELER_VERSION, params: DEFAULT_LABELER_PARAMS },
    network,
    training: {
      symbols: [],
      periods: { train: period, validation: period, test: period },
      strideMinutes: { train: 15, validation: 15, test: 15 },
      samples: { train: 0, validation: 0 },
      skipped: {},
      classCounts: {},
      classWeights: REGIMES.map(() => 1),
      learningRate: 0,
      batchSize: 1,
      maxEpochs: 0,
      patience: 0,
      epochs: [],
      bestEpoch: 0,
      trainingSeconds: 0,
      samplesPerSecond: 0,
      backend: 'untrained',
      dataHash: 'none',
    },
    // Two windows, so every test of the predictor also runs the decision layer's multi-window path.
    decision: {
      windows: 2,
      spacingMinutes: 15,
      margin: 0.02,
      validation: {
        switchLimit: 0,
        argmax: { macroF1: 0, switchesPerDay: 0 },
        chosen: { macroF1: 0, switchesPerDay: 0 },
        grid: [],
      },
    },
    metrics: { validation: { macroF1: 0, accuracy: 0 } },
  };
  const featureCount = FEATURE_NAMES.length;
  await writeArtifact(dir, {
    model,
    metadata,
    // Unit scale: the raw inputs (RSI, ADX in 0..100, returns near 0) reach the network clipped at ±3.
    scalers: {
      features: unitScaler(FEATURE_NAMES),
      viewSummary: unitScaler(VIEW_SUMMARY_NAMES),
      viewBars: unitScaler(VIEW_BAR_NAMES),
    },
    baselines: {
      majorityClass: 0,
      logistic: zeroLogistic(featureCount + CALENDAR_NAMES.length),
      logisticView: zeroLogistic(WIDE_WIDTH),
      causalLambda: DEFAULT_LABELER_PARAMS.segmentation.switchCost,
      fusion: { lambda: DEFAULT_LABELER_PARAMS.segmentation.switchCost, weight: 1 },
    },
  });
  model.dispose();
}
