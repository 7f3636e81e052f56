import { FEATURE_NAMES, FEATURES_VERSION } from '@regime/features';
import {
  LABELER_VERSION,
  type LabelerParams,
  REGIMES,
  VIEW_BAR_NAMES,
  VIEW_BARS,
  VIEW_SUMMARY_NAMES,
} from '@regime/labeler';
import { featureIntervals, type LoadedArtifact } from './artifact.ts';
import {
  DEFAULT_LOGISTIC,
  logisticInputs,
  majorityClass,
  predictLogistic,
  trainLogistic,
  viewLogisticInputs,
} from './baselines.ts';
import { CALENDAR_NAMES } from './calendar.ts';
import { tuneCausalLambda, tuneLateFusion } from './causal.ts';
import { labelerParams, type SplitPeriods, splitPeriods, type TrainConfig } from './config.ts';
import type { Dataset, DatasetProgress, SymbolHistory } from './dataset.ts';
import { ARGMAX_RULE, tuneDecisionRule } from './decision.ts';
import { tuneDecisionBias } from './decision-bias.ts';
import { calibrateDistribution, trainingDayColumns } from './drift/calibration.ts';
import {
  DISTRIBUTION_MAX_SAMPLES,
  type InputDistribution,
  inputDistributionOf,
} from './drift/distribution.ts';
import { sampleClock } from './evaluate.ts';
import { ARTIFACT_FORMAT, type BaselinesState, type ModelMetadata, type SmokeCheck } from './metadata.ts';
import { argmaxRows, macroF1 } from './metrics.ts';
import { type NetworkConfig, shiftOutputBias } from './network.ts';
import {
  DECISION_LEAD_IN_MS,
  evenSubsample,
  historyHash,
  labelHorizonMs,
  samplesFrom,
  selectRows,
  selectSamples,
  splitDataset,
} from './period-data.ts';
import { fitScaler, type ModelScalers } from './scaler.ts';
import type { tf } from './tensorflow.ts';
import {
  balancedClassWeights,
  type EpochReport,
  type NetworkInputs,
  networkInputs,
  predictProbabilities,
  scaleInPlace,
  selectInputs,
  trainNetwork,
} from './train.ts';

export interface PipelineProgress {
  stage: 'dataset' | 'baselines' | 'training' | 'decision';
  split?: keyof SplitPeriods;
  dataset?: DatasetProgress;
  batch?: { epoch: number; done: number; total: number; loss: number };
  epoch?: EpochReport;
}

/** The artifact parts of a training run, with the training distribution of the inputs (drift/). */
export type TrainedArtifact = LoadedArtifact & { inputDistribution?: InputDistribution };

const iso = (t: number) => new Date(t).toISOString();

/** Rows of the training set the two logistic baselines are fitted on (full-batch, in plain TypeScript). */
const LOGISTIC_SAMPLES = 60_000;

/**
 * Tunes the decision bias of the model and of both logistic baselines on the validation set (the same
 * treatment for all three, so the comparison stays fair) and folds it into their output biases.
 */
export function tuneDecisionBiases(
  model: tf.LayersModel,
  baselines: BaselinesState,
  inputs: NetworkInputs,
  labels: Uint8Array,
): NonNullable<ModelMetadata['training']['decisionBias']> {
  const own = tuneDecisionBias(predictProbabilities(model, inputs), labels);
  const logistic = tuneDecisionBias(predictLogistic(baselines.logistic, logisticInputs(inputs)), labels);
  const view = tuneDecisionBias(predictLogistic(baselines.logisticView, viewLogisticInputs(inputs)), labels);
  shiftOutputBias(model, own.offsets);
  const shift = (bias: number[], offsets: readonly number[]) => bias.map((b, k) => b + offsets[k]!);
  baselines.logistic.bias = shift(baselines.logistic.bias, logistic.offsets);
  baselines.logisticView.bias = shift(baselines.logisticView.bias, view.offsets);
  return {
    model: own.offsets,
    logistic: logistic.offsets,
    logisticView: view.offsets,
    validationMacroF1: {
      modelBefore: own.before,
      modelAfter: own.after,
      logisticBefore: logistic.before,
      logisticAfter: logistic.after,
      logisticViewBefore: view.before,
      logisticViewAfter: view.after,
    },
  };
}

/** Recomputes the smoke check of an artifact on the given history (the same code path as `evaluate`). */
export async function smokeMetrics(
  model: tf.LayersModel,
  scalers: ModelScalers,
  inputs: readonly SymbolHistory[],
  smoke: { symbol: string; from: number; to: number; strideMinutes: number },
  params: LabelerParams,
): Promise<SmokeCheck> {
  const own = inputs.filter((i) => i.symbol === smoke.symbol);
  if (own.length === 0) throw new Error(`the smoke check needs the candles of ${smoke.symbol}`);
  const { dataset } = await splitDataset(own, smoke, smoke.strideMinutes, params);
  const probabilities = predictProbabilities(model, networkInputs(scalers, dataset));
  const predicted = argmaxRows(probabilities);
  let correct = 0;
  let trueClassProbabilitySum = 0;
  for (let i = 0; i < dataset.size; i++) {
    if (predicted[i] === dataset.labels[i]) correct++;
    trueClassProbabilitySum += probabilities[i * REGIMES.length + dataset.labels[i]!]!;
  }
  return {
    symbol: smoke.symbol,
    from: iso(smoke.from),
    to: iso(smoke.to),
    strideMinutes: smoke.strideMinutes,
    samples: dataset.size,
    accuracy: dataset.size > 0 ? correct / dataset.size : 0,
    macroF1: macroF1(dataset.labels, predicted),
    trueClassProbabilitySum,
  };
}

/** The three scalers, fitted on the training split only. */
export function fitScalers(train: Dataset): ModelScalers {
  return {
    features: fitScaler(train.windows, FEATURE_NAMES),
    viewSummary: fitScaler(train.viewSummary, VIEW_SUMMARY_NAMES),
    viewBars: fitScaler(train.viewBars, VIEW_BAR_NAMES),
  };
}

/**
 * The whole training run on candles already in memory: datasets, scalers (train only), the network
 * with early stopping, baselines, the decision layer and the references, metadata. Returns the
 * artifact parts; writing them is the caller's job. Everything is chosen on validation.
 */
export async function trainPipeline(
  inputs: readonly SymbolHistory[],
  config: TrainConfig,
  context: { backend: string; version: string },
  onProgress?: (p: PipelineProgress) => void,
  onCheckpoint?: (artifact: TrainedArtifact) => Promise<void>,
): Promise<TrainedArtifact> {
  const params = labelerParams(config);
  const periods = splitPeriods(config, labelHorizonMs(params));
  const progress = (split: keyof SplitPeriods) => (dataset: DatasetProgress) =>
    onProgress?.({ stage: 'dataset', split, dataset });
  const built = await splitDataset(
    inputs,
    periods.train,
    config.strideMinutes.train,
    params,
    progress('train'),
  );
  // Validation is built with the decision layer's lead-in (inside the split gap), scored from its start.
  const validationBuilt = await splitDataset(
    inputs,
    { from: periods.validation.from - DECISION_LEAD_IN_MS, to: periods.validation.to },
    config.strideMinutes.validation,
    params,
    progress('validation'),
  );
  const full = built.dataset;
  // A subsample is a copy; without one the full set is used as it is (it is gigabytes for nine pairs).
  const train =
    config.maxTrainSamples !== undefined && config.maxTrainSamples < full.size
      ? selectSamples(full, evenSubsample(full.size, config.maxTrainSamples))
      : full;
  const withLeadIn = validationBuilt.dataset;
  const scored = samplesFrom(withLeadIn, periods.validation.from);
  const validation = selectSamples(withLeadIn, scored);
  if (train.size === 0 || validation.size === 0) {
    throw new Error(
      `no usable samples (train ${train.size}, validation ${validation.size}): check the period and the data`,
    );
  }
  const scalers = fitScalers(train);
  // Before the training set is scaled in place: the distribution is of the inputs as the predictor builds them.
  const trainDistribution = inputDistributionOf(train, context.version, {
    symbols: [...config.symbols],
    from: iso(periods.train.from),
    to: iso(periods.train.to),
    strideMinutes: config.strideMinutes.train,
    note: `training split, at most ${DISTRIBUTION_MAX_SAMPLES} instants evenly spread (written by train)`,
  });
  const inputDistribution = calibrateDistribution(
    trainDistribution,
    await trainingDayColumns(inputs, periods.train, params, undefined, progress('train')),
  );
  const classWeights = balancedClassWeights(train.labels);
  // Nine pairs make gigabytes of windows: the training set is scaled in place (its raw values are not
  // read again), and the validation set is scaled once, with its lead-in.
  const trainInputs = scaleInPlace(scalers, train);
  const leadInInputs = networkInputs(scalers, withLeadIn);
  const validationInputs = selectInputs(leadInInputs, scored);

  onProgress?.({ stage: 'baselines' });
  const fittedRows = evenSubsample(train.size, LOGISTIC_SAMPLES);
  const fittedInputs = selectInputs(trainInputs, fittedRows);
  const fittedLabels = Uint8Array.from(fittedRows, (i) => train.labels[i]!);
  const logisticOptions = { ...DEFAULT_LOGISTIC, classWeights: balancedClassWeights(fittedLabels) };
  const baselines: BaselinesState = {
    majorityClass: majorityClass(train.labels),
    logistic: trainLogistic(logisticInputs(fittedInputs), fittedLabels, logisticOptions),
    logisticView: trainLogistic(viewLogisticInputs(fittedInputs), fittedLabels, logisticOptions),
    causalLambda: tuneCausalLambda(validation).lambda,
    // Replaced once the network is trained: the fusion is tuned on the network's own answers.
    fusion: { lambda: params.segmentation.switchCost, weight: 0 },
  };

  const network: NetworkConfig = {
    units: config.model.units,
    groupBars: config.model.groupBars,
    windowUnits: config.model.windowUnits,
    hidden: config.model.hidden,
    dropout: config.model.dropout,
    seed: config.model.seed,
  };
  const classCounts = Object.fromEntries(REGIMES.map((r) => [r, 0]));
  for (const label of train.labels) classCounts[REGIMES[label]!]!++;
  const skipped: Record<string, number> = {};
  for (const [split, b] of [
    ['train', built],
    ['validation', validationBuilt],
  ] as const) {
    for (const [reason, count] of Object.entries(b.skipped)) skipped[`${split}.${reason}`] = count;
  }
  skipped['train.subsampledAway'] = full.size - train.size;
  const dataHash = historyHash(inputs);
  const started = performance.now();

  /** Metadata of the model as it is after `epochs` (the best of them holds the weights). */
  const describe = async (
    model: tf.LayersModel,
    epochs: readonly EpochReport[],
    withSmoke = true,
  ): Promise<ModelMetadata> => {
    const best = epochs.reduce((a, b) => (b.validationMacroF1 > a.validationMacroF1 ? b : a));
    const trainSeconds = epochs.reduce((sum, e) => sum + e.seconds, 0);
    const intervals = featureIntervals(FEATURE_NAMES);
    const metadata: ModelMetadata = {
      format: ARTIFACT_FORMAT,
      version: context.version,
      createdAt: new Date().toISOString(),
      featureNames: [...FEATURE_NAMES],
      featuresVersion: FEATURES_VERSION,
      calendarNames: [...CALENDAR_NAMES],
      intervals,
      primaryInterval: intervals[0]!,
      steps: train.steps,
      view: { summaryNames: [...VIEW_SUMMARY_NAMES], barNames: [...VIEW_BAR_NAMES], bars: VIEW_BARS },
      regimes: [...REGIMES],
      labeler: { version: LABELER_VERSION, params },
      network,
      training: {
        symbols: [...config.symbols],
        periods: {
          train: { from: iso(periods.train.from), to: iso(periods.train.to) },
          validation: { from: iso(periods.validation.from), to: iso(periods.validation.to) },
          test: { from: iso(periods.test.from), to: iso(periods.test.to) },
        },
        strideMinutes: { ...config.strideMinutes },
        samples: { train: train.size, validation: validation.size },
        skipped,
        classCounts,
        classWeights,
        learningRate: config.model.learningRate,
        batchSize: config.model.batchSize,
        maxEpochs: config.model.maxEpochs,
        patience: config.model.patience,
        epochs: [...epochs],
        bestEpoch: best.epoch,
        trainingSeconds: (performance.now() - started) / 1000,
        samplesPerSecond: (train.size * epochs.length) / trainSeconds,
        backend: context.backend,
        dataHash,
      },
      // Replaced by the tuned rule once training ends; checkpoints answer with the argmax.
      decision: {
        ...ARGMAX_RULE,
        validation: {
          switchLimit: 0,
          argmax: { macroF1: best.validationMacroF1, switchesPerDay: 0 },
          chosen: { macroF1: best.validationMacroF1, switchesPerDay: 0 },
          grid: [],
        },
      },
      metrics: {
        validation: { macroF1: best.validationMacroF1, accuracy: best.validationAccuracy },
      },
    };
    if (config.smoke && withSmoke)
      metadata.metrics.smoke = await smokeMetrics(model, scalers, inputs, config.smoke, params);
    return metadata;
  };

  const result = await trainNetwork(
    { ...trainInputs, y: train.labels },
    { ...validationInputs, y: validation.labels },
    {
      network,
      learningRate: config.model.learningRate,
      batchSize: config.model.batchSize,
      maxEpochs: config.model.maxEpochs,
      patience: config.model.patience,
      classWeights,
      wideStart: baselines.logisticView,
      onBatch: (batch) => onProgress?.({ stage: 'training', batch }),
      onEpoch: (epoch) => onProgress?.({ stage: 'training', epoch }),
      onImproved: async (model, epochs) => {
        if (onCheckpoint)
          await onCheckpoint({
            model,
            metadata: await describe(model, epochs),
            scalers,
            baselines,
            inputDistribution,
          });
      },
    },
  );
  const metadata = await describe(result.model, result.epochs, false);
  const artifact = { model: result.model, metadata, scalers, baselines, inputDistribution };
  onProgress?.({ stage: 'decision' });
  tuneAfterTraining(artifact, withLeadIn, scored, config.strideMinutes.validation, leadInInputs);
  // The smoke check describes the final weights, after the decision bias has been folded in.
  if (config.smoke)
    metadata.metrics.smoke = await smokeMetrics(result.model, scalers, inputs, config.smoke, params);
  return artifact;
}

/**
 * What training does once the weights are final, on the validation set (with its lead-in; `scored`
 * are its samples from the period's start): the decision bias of the model and the logistic
 * baselines, the late-fusion reference, and the decision layer. Rewrites the artifact in place.
 */
export function tuneAfterTraining(
  artifact: TrainedArtifact,
  withLeadIn: Dataset,
  scored: ArrayLike<number>,
  strideMinutes: number,
  leadInInputs: NetworkInputs = networkInputs(artifact.scalers, withLeadIn),
): void {
  const { model, baselines, metadata } = artifact;
  const validation = selectSamples(withLeadIn, scored);
  const validationInputs = selectInputs(leadInInputs, scored);
  const decisionBias = tuneDecisionBiases(model, baselines, validationInputs, validation.labels);
  // The decision layer reads the lead-in's answers too (the windows before the first scored instant).
  const leadInProbabilities = predictProbabilities(model, leadInInputs);
  const fusion = tuneLateFusion(validation, selectRows(leadInProbabilities, scored, REGIMES.length));
  baselines.fusion = { lambda: fusion.lambda, weight: fusion.weight };
  const tuned = tuneDecisionRule(
    leadInProbabilities,
    withLeadIn.labels,
    sampleClock(withLeadIn, strideMinutes),
    scored,
  );
  metadata.training.decisionBias = decisionBias;
  metadata.metrics.validation.macroF1 = decisionBias.validationMacroF1.modelAfter;
  metadata.decision = {
    ...tuned.rule,
    validation: {
      switchLimit: tuned.switchLimit,
      argmax: tuned.argmax,
      chosen: tuned.chosen,
      grid: tuned.grid,
    },
  };
}
