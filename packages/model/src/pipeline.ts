import { createHash } from 'node:crypto';
import { INTERVAL_MS } from '@regime/candles';
import { FEATURE_NAMES, FEATURES_VERSION, warmupCandles } from '@regime/features';
import {
  BAR_MS,
  BASE_INTERVAL_MS,
  historyCandles,
  LABELER_VERSION,
  type LabelerParams,
  REGIMES,
  windowSpan,
} from '@regime/labeler';
import { featureIntervals } from './artifact.ts';
import {
  DEFAULT_LOGISTIC,
  logisticInputs,
  majorityClass,
  predictLogistic,
  trainLogistic,
} from './baselines.ts';
import { CALENDAR_NAMES } from './calendar.ts';
import { labelerParams, type Period, type SplitPeriods, splitPeriods, type TrainConfig } from './config.ts';
import {
  addSkipCounts,
  asOfInstants,
  buildDataset,
  concatDatasets,
  type Dataset,
  type DatasetProgress,
  type SkipCounts,
  type SymbolHistory,
} from './dataset.ts';
import { ARGMAX_RULE, tuneDecisionRule } from './decision.ts';
import { tuneDecisionBias } from './decision-bias.ts';
import { ARTIFACT_FORMAT, type BaselinesState, type ModelMetadata, type SmokeCheck } from './metadata.ts';
import { argmaxRows, macroF1 } from './metrics.ts';
import { type NetworkConfig, shiftOutputBias } from './network.ts';
import { applyScaler, fitScaler, type ScalerState } from './scaler.ts';
import type { tf } from './tensorflow.ts';
import {
  balancedClassWeights,
  type EpochReport,
  networkInputs,
  predictProbabilities,
  trainNetwork,
} from './train.ts';

/**
 * Candle range (open times) a period of as-of instants needs: before it, the longer of the label
 * history and the features' warm-up of every interval; after it, the label horizon.
 */
export function candleRange(period: Period, params: LabelerParams): Period {
  // The first bar's window and its history, plus the bars the causal state needs to warm up.
  const labelBefore =
    (historyCandles(params) + windowSpan(params)) * BASE_INTERVAL_MS +
    params.segmentation.warmupBars * BAR_MS;
  const warmup = warmupCandles();
  const featureBefore = Math.max(
    ...(['5m', '15m', '1h'] as const).map((interval) => (warmup[interval] + 1) * INTERVAL_MS[interval]),
  );
  return {
    from: period.from - Math.max(labelBefore, featureBefore),
    to: period.to + labelHorizonMs(params),
  };
}

/** How far after T the data must reach for T's label to have settled (the segmentation looks ahead). */
export function labelHorizonMs(params: LabelerParams): number {
  return (params.segmentation.settleBars + 1) * BAR_MS;
}

/** sha256 over every candle (open time and OHLCV) of every series used, in a fixed order. */
export function historyHash(inputs: readonly SymbolHistory[]): string {
  const hash = createHash('sha256');
  for (const input of inputs) {
    for (const interval of ['5m', '15m', '1h'] as const) {
      hash.update(`${input.symbol}/${interval}\n`);
      for (const c of input.history[interval]) {
        hash.update(`${c.openTime},${c.open},${c.high},${c.low},${c.close},${c.volume}\n`);
      }
    }
  }
  return hash.digest('hex');
}

/** Evenly spaced subsample of at most `max` sample indices (keeps the chronological spread). */
export function evenSubsample(size: number, max: number | undefined): Uint32Array {
  const count = max === undefined ? size : Math.min(size, max);
  const out = new Uint32Array(count);
  for (let k = 0; k < count; k++) out[k] = Math.floor((k * size) / count);
  return out;
}

export function selectSamples(d: Dataset, indices: ArrayLike<number>): Dataset {
  const row = d.steps * d.featureCount;
  const windows = new Float32Array(indices.length * row);
  const pick = <T extends Uint8Array | Float64Array>(src: T, make: (n: number) => T): T => {
    const out = make(indices.length);
    for (let k = 0; k < indices.length; k++) out[k] = src[indices[k]!]!;
    return out;
  };
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k]!;
    windows.set(d.windows.subarray(i * row, (i + 1) * row), k * row);
  }
  return {
    ...d,
    size: indices.length,
    windows,
    labels: pick(d.labels, (n) => new Uint8Array(n)),
    causal: pick(d.causal, (n) => new Uint8Array(n)),
    rules: pick(d.rules, (n) => new Uint8Array(n)),
    asOf: pick(d.asOf, (n) => new Float64Array(n)),
    symbolIndex: pick(d.symbolIndex, (n) => new Uint8Array(n)),
  };
}

export interface PipelineProgress {
  stage: 'dataset' | 'baselines' | 'training' | 'decision';
  split?: keyof SplitPeriods;
  dataset?: DatasetProgress;
  batch?: { epoch: number; done: number; total: number; loss: number };
  epoch?: EpochReport;
}

export interface TrainedArtifact {
  model: tf.LayersModel;
  metadata: ModelMetadata;
  scaler: ScalerState;
  baselines: BaselinesState;
}

const iso = (t: number) => new Date(t).toISOString();

/** As-of instants per buildDataset() call in splitDataset(). */
const INSTANTS_PER_CALL = 4096;

/**
 * Builds the dataset of one split, symbol by symbol and in chunks, yielding to the event loop between
 * chunks so progress and log lines are written while it runs (the builder itself is synchronous).
 */
export async function splitDataset(
  inputs: readonly SymbolHistory[],
  period: Period,
  strideMinutes: number,
  params: LabelerParams,
  onProgress?: (p: DatasetProgress) => void,
): Promise<{ dataset: Dataset; skipped: SkipCounts }> {
  const asOfs = asOfInstants(period.from, period.to, strideMinutes * 60_000);
  const symbols = inputs.map((i) => i.symbol);
  const parts: Dataset[] = [];
  let skipped: SkipCounts = { labelGap: 0, labelUnsettled: 0, featureGap: 0, featureWarmup: 0 };
  for (const input of inputs) {
    for (let c = 0; c < asOfs.length; c += INSTANTS_PER_CALL) {
      const built = buildDataset([input], asOfs.slice(c, c + INSTANTS_PER_CALL), params);
      parts.push(built.dataset);
      skipped = addSkipCounts(skipped, built.skipped);
      onProgress?.({
        symbol: input.symbol,
        done: Math.min(asOfs.length, c + INSTANTS_PER_CALL),
        total: asOfs.length,
      });
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
  return { dataset: concatDatasets(parts, symbols), skipped };
}

/**
 * Tunes the decision bias of the LSTM and of the logistic baseline on the validation set (the same
 * treatment for both, so the comparison stays fair) and folds it into their output biases.
 */
export function tuneDecisionBiases(
  model: tf.LayersModel,
  scaler: ScalerState,
  baselines: BaselinesState,
  validation: Dataset,
): NonNullable<ModelMetadata['training']['decisionBias']> {
  const inputs = networkInputs(applyScaler(scaler, validation.windows), validation);
  const lstm = tuneDecisionBias(predictProbabilities(model, inputs), validation.labels);
  const logistic = tuneDecisionBias(
    predictLogistic(baselines.logistic, logisticInputs(inputs)),
    validation.labels,
  );
  shiftOutputBias(model, lstm.offsets);
  baselines.logistic.bias = baselines.logistic.bias.map((b, k) => b + logistic.offsets[k]!);
  return {
    lstm: lstm.offsets,
    logistic: logistic.offsets,
    validationMacroF1: {
      lstmBefore: lstm.before,
      lstmAfter: lstm.after,
      logisticBefore: logistic.before,
      logisticAfter: logistic.after,
    },
  };
}

/** Recomputes the smoke check of an artifact on the given history (the same code path as `evaluate`). */
export async function smokeMetrics(
  model: tf.LayersModel,
  scaler: ScalerState,
  inputs: readonly SymbolHistory[],
  smoke: { symbol: string; from: number; to: number; strideMinutes: number },
  params: LabelerParams,
): Promise<SmokeCheck> {
  const own = inputs.filter((i) => i.symbol === smoke.symbol);
  if (own.length === 0) throw new Error(`the smoke check needs the candles of ${smoke.symbol}`);
  const { dataset } = await splitDataset(own, smoke, smoke.strideMinutes, params);
  const probabilities = predictProbabilities(
    model,
    networkInputs(applyScaler(scaler, dataset.windows), dataset),
  );
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

/**
 * The whole training run on candles already in memory: datasets, scaler (train only), LSTM with
 * early stopping, baselines, metadata. Returns the artifact parts; writing them is the caller's job.
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
  const built = {} as Record<'train' | 'validation', { dataset: Dataset; skipped: SkipCounts }>;
  for (const split of ['train', 'validation'] as const) {
    built[split] = await splitDataset(
      inputs,
      periods[split],
      config.strideMinutes[split],
      params,
      (dataset) => onProgress?.({ stage: 'dataset', split, dataset }),
    );
  }
  const full = built.train.dataset;
  const train = selectSamples(full, evenSubsample(full.size, config.maxTrainSamples));
  const validation = built.validation.dataset;
  if (train.size === 0 || validation.size === 0) {
    throw new Error(
      `no usable samples (train ${train.size}, validation ${validation.size}): check the period and the data`,
    );
  }
  const scaler = fitScaler(train.windows, FEATURE_NAMES);
  const trainX = applyScaler(scaler, train.windows);
  const validationX = applyScaler(scaler, validation.windows);
  const classWeights = balancedClassWeights(train.labels);
  const trainInputs = networkInputs(trainX, train);

  onProgress?.({ stage: 'baselines' });
  const baselines: BaselinesState = {
    majorityClass: majorityClass(train.labels),
    logistic: trainLogistic(logisticInputs(trainInputs), train.labels, {
      ...DEFAULT_LOGISTIC,
      classWeights,
    }),
  };

  const network: NetworkConfig = {
    units: config.model.units,
    groupSteps: config.model.groupSteps,
    hidden: config.model.hidden,
    dropout: config.model.dropout,
    seed: config.model.seed,
  };
  const classCounts = Object.fromEntries(REGIMES.map((r) => [r, 0]));
  for (const label of train.labels) classCounts[REGIMES[label]!]!++;
  const skipped: Record<string, number> = {};
  for (const split of ['train', 'validation'] as const) {
    for (const [reason, count] of Object.entries(built[split].skipped)) skipped[`${split}.${reason}`] = count;
  }
  skipped['train.subsampledAway'] = full.size - train.size;
  const dataHash = historyHash(inputs);
  const started = performance.now();

  /** Metadata of the model as it is after `epochs` (the best of them holds the weights). */
  const describe = async (model: tf.LayersModel, epochs: readonly EpochReport[]): Promise<ModelMetadata> => {
    const best = epochs.reduce((a, b) => (b.validationMacroF1 > a.validationMacroF1 ? b : a));
    const trainSeconds = epochs.reduce((sum, e) => sum + e.seconds, 0);
    const metadata: ModelMetadata = {
      format: ARTIFACT_FORMAT,
      version: context.version,
      createdAt: new Date().toISOString(),
      featureNames: [...FEATURE_NAMES],
      featuresVersion: FEATURES_VERSION,
      calendarNames: [...CALENDAR_NAMES],
      intervals: featureIntervals(FEATURE_NAMES),
      primaryInterval: featureIntervals(FEATURE_NAMES)[0]!,
      steps: train.steps,
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
          argmax: { macroF1: best.validationMacroF1, switchesPerDay: 0 },
          chosen: { macroF1: best.validationMacroF1, switchesPerDay: 0 },
        },
      },
      metrics: {
        validation: { macroF1: best.validationMacroF1, accuracy: best.validationAccuracy },
      },
    };
    if (config.smoke)
      metadata.metrics.smoke = await smokeMetrics(model, scaler, inputs, config.smoke, params);
    return metadata;
  };

  const result = await trainNetwork(
    { ...trainInputs, y: train.labels },
    { ...networkInputs(validationX, validation), y: validation.labels },
    {
      network,
      learningRate: config.model.learningRate,
      batchSize: config.model.batchSize,
      maxEpochs: config.model.maxEpochs,
      patience: config.model.patience,
      classWeights,
      wideStart: baselines.logistic,
      onBatch: (batch) => onProgress?.({ stage: 'training', batch }),
      onEpoch: (epoch) => onProgress?.({ stage: 'training', epoch }),
      onImproved: async (model, epochs) => {
        if (onCheckpoint)
          await onCheckpoint({ model, metadata: await describe(model, epochs), scaler, baselines });
      },
    },
  );
  const decisionBias = tuneDecisionBiases(result.model, scaler, baselines, validation);
  const metadata = await describe(result.model, result.epochs);
  metadata.training.decisionBias = decisionBias;
  metadata.metrics.validation.macroF1 = decisionBias.validationMacroF1.lstmAfter;
  onProgress?.({ stage: 'decision' });
  const validationProbabilities = predictProbabilities(result.model, networkInputs(validationX, validation));
  const clock = {
    asOf: validation.asOf,
    symbolIndex: validation.symbolIndex,
    strideMs: config.strideMinutes.validation * 60_000,
  };
  const tuned = tuneDecisionRule(validationProbabilities, validation.labels, clock);
  metadata.decision = { ...tuned.rule, validation: { argmax: tuned.argmax, chosen: tuned.chosen } };
  return { model: result.model, metadata, scaler, baselines };
}
