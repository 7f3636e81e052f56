import { REGIME_COUNT, VIEW_BAR_NAMES, VIEW_BARS } from '@regime/labeler';
import { CALENDAR_COUNT } from './calendar.ts';
import { tuneDecisionBias } from './decision-bias.ts';
import { argmaxRows } from './metrics.ts';
import { buildNetwork, type NetworkConfig, type WideStart } from './network.ts';
import { BARS_ROW, inputCount, type NetworkInputs } from './network-inputs.ts';
import { seededRandom, shuffledIndices } from './rng.ts';
import { tf } from './tensorflow.ts';

/** Network inputs with their label indices. */
export interface LabelledWindows extends NetworkInputs {
  y: Uint8Array;
}

export interface TrainOptions {
  network: NetworkConfig;
  learningRate: number;
  batchSize: number;
  maxEpochs: number;
  /** Stop after this many epochs without a better validation macro-F1 (after the decision-bias tuning). */
  patience: number;
  /** Per-class loss weights in REGIMES order. */
  classWeights: readonly number[];
  /** Starting weights of the wide part (the fitted logistic baseline); see buildNetwork. */
  wideStart?: WideStart;
  onBatch?: (batch: { epoch: number; done: number; total: number; loss: number }) => void;
  onEpoch?: (epoch: EpochReport) => void;
  /**
   * Called after an epoch that improved the validation macro-F1, with the model holding that epoch's
   * weights and the epochs so far: lets the caller checkpoint, so an interrupted run still leaves
   * its best model behind.
   */
  onImproved?: (model: tf.LayersModel, epochs: readonly EpochReport[]) => Promise<void>;
}

export interface EpochReport {
  epoch: number;
  loss: number;
  validationMacroF1: number;
  validationAccuracy: number;
  seconds: number;
  samplesPerSecond: number;
  improved: boolean;
}

export interface TrainResult {
  model: tf.LayersModel;
  epochs: EpochReport[];
  bestEpoch: number;
  bestValidationMacroF1: number;
  trainingSeconds: number;
  /** Training samples per second over all epochs (forward + backward passes only). */
  samplesPerSecond: number;
}

/**
 * Balanced class weights n / (K · count_k): every class contributes equally to the loss. A class
 * absent from the training data gets weight 0 (it has no samples to weigh anyway).
 */
export function balancedClassWeights(labels: ArrayLike<number>): number[] {
  const counts = new Array<number>(REGIME_COUNT).fill(0);
  for (let i = 0; i < labels.length; i++) counts[labels[i]!]!++;
  return counts.map((c) => (c > 0 ? labels.length / (REGIME_COUNT * c) : 0));
}

type InputTensors = [tf.Tensor3D, tf.Tensor2D, tf.Tensor2D, tf.Tensor3D];

/** The four input tensors of `count` samples whose rows are given by `rowsOf`. */
function tensors(data: NetworkInputs, count: number, rows: (k: number) => number): InputTensors {
  const windowRow = data.steps * data.featureCount;
  const summaryRow = data.viewSummary.length / inputCount(data);
  const windows = new Float32Array(count * windowRow);
  const calendars = new Float32Array(count * CALENDAR_COUNT);
  const summaries = new Float32Array(count * summaryRow);
  const bars = new Float32Array(count * BARS_ROW);
  for (let k = 0; k < count; k++) {
    const i = rows(k);
    windows.set(data.x.subarray(i * windowRow, (i + 1) * windowRow), k * windowRow);
    calendars.set(data.calendar.subarray(i * CALENDAR_COUNT, (i + 1) * CALENDAR_COUNT), k * CALENDAR_COUNT);
    summaries.set(data.viewSummary.subarray(i * summaryRow, (i + 1) * summaryRow), k * summaryRow);
    bars.set(data.viewBars.subarray(i * BARS_ROW, (i + 1) * BARS_ROW), k * BARS_ROW);
  }
  return [
    tf.tensor3d(windows, [count, data.steps, data.featureCount]),
    tf.tensor2d(calendars, [count, CALENDAR_COUNT]),
    tf.tensor2d(summaries, [count, summaryRow]),
    tf.tensor3d(bars, [count, VIEW_BARS, VIEW_BAR_NAMES.length]),
  ];
}

function batchTensors(data: NetworkInputs, indices: ArrayLike<number>): InputTensors {
  return tensors(data, indices.length, (k) => indices[k]!);
}

/** The network inputs of rows [start, start + count) as tensors. */
function inputTensors(data: NetworkInputs, start: number, count: number): InputTensors {
  return tensors(data, count, (k) => start + k);
}

/** Class probabilities (n × 6), computed in batches to bound memory. */
export function predictProbabilities(
  model: tf.LayersModel,
  data: NetworkInputs,
  batchSize = 512,
): Float32Array {
  const n = inputCount(data);
  const out = new Float32Array(n * REGIME_COUNT);
  for (let start = 0; start < n; start += batchSize) {
    const count = Math.min(batchSize, n - start);
    const probabilities = tf.tidy(() => model.predict(inputTensors(data, start, count)) as tf.Tensor);
    out.set(probabilities.dataSync() as Float32Array, start * REGIME_COUNT);
    probabilities.dispose();
  }
  return out;
}

/**
 * Trains the LSTM with a class-weighted cross-entropy, Adam, a seeded shuffle per epoch, and early
 * stopping on the validation macro-F1; the returned model holds the best epoch's weights.
 */
export async function trainNetwork(
  train: LabelledWindows,
  validation: LabelledWindows,
  options: TrainOptions,
): Promise<TrainResult> {
  const n = train.y.length;
  if (n === 0 || validation.y.length === 0) throw new Error('training and validation sets must not be empty');
  const model = buildNetwork(train.steps, train.featureCount, options.network, options.wideStart);
  const optimizer = tf.train.adam(options.learningRate);
  const weights = tf.tensor1d([...options.classWeights]);
  const random = seededRandom(options.network.seed);
  const epochs: EpochReport[] = [];
  let best: tf.Tensor[] | undefined;
  let bestEpoch = 0;
  let bestF1 = Number.NEGATIVE_INFINITY;
  let trainSeconds = 0;
  const started = performance.now();
  try {
    for (let epoch = 1; epoch <= options.maxEpochs; epoch++) {
      const order = shuffledIndices(n, random);
      const epochStart = performance.now();
      let lossSum = 0;
      let batches = 0;
      for (let start = 0; start < n; start += options.batchSize) {
        const indices = order.subarray(start, Math.min(n, start + options.batchSize));
        const labels = Array.from(indices, (i) => train.y[i]!);
        const loss = tf.tidy((): tf.Scalar => {
          const xs = batchTensors(train, indices);
          const ys = tf.oneHot(tf.tensor1d(labels, 'int32'), REGIME_COUNT);
          const w = tf.gather(weights, tf.tensor1d(labels, 'int32'));
          return optimizer.minimize(() => {
            const p = (model.apply(xs, { training: true }) as tf.Tensor).clipByValue(1e-7, 1);
            const crossEntropy = tf.neg(tf.sum(tf.mul(ys, tf.log(p)), 1));
            return tf.mean(tf.mul(crossEntropy, w)) as tf.Scalar;
          }, true)!;
        });
        const value = (await loss.data())[0]!;
        loss.dispose();
        lossSum += value;
        batches++;
        options.onBatch?.({
          epoch,
          done: Math.min(n, start + options.batchSize),
          total: n,
          loss: lossSum / batches,
        });
      }
      const seconds = (performance.now() - epochStart) / 1000;
      trainSeconds += seconds;
      const probabilities = predictProbabilities(model, validation);
      // The model is used with its decision bias tuned on validation (pipeline.ts), so epochs are
      // compared by the macro-F1 they reach after that tuning.
      const f1 = tuneDecisionBias(probabilities, validation.y).after;
      const predicted = argmaxRows(probabilities);
      let correct = 0;
      for (let i = 0; i < predicted.length; i++) if (predicted[i] === validation.y[i]) correct++;
      const improved = f1 > bestF1;
      if (improved) {
        bestF1 = f1;
        bestEpoch = epoch;
        for (const t of best ?? []) t.dispose();
        best = model.getWeights().map((t) => t.clone());
      }
      const report: EpochReport = {
        epoch,
        loss: lossSum / batches,
        validationMacroF1: f1,
        validationAccuracy: correct / predicted.length,
        seconds,
        samplesPerSecond: n / seconds,
        improved,
      };
      epochs.push(report);
      options.onEpoch?.(report);
      if (improved) await options.onImproved?.(model, epochs);
      if (epoch - bestEpoch >= options.patience) break;
    }
    if (best) model.setWeights(best);
  } finally {
    for (const t of best ?? []) t.dispose();
    weights.dispose();
    optimizer.dispose();
  }
  return {
    model,
    epochs,
    bestEpoch,
    bestValidationMacroF1: bestF1,
    trainingSeconds: (performance.now() - started) / 1000,
    samplesPerSecond: (n * epochs.length) / trainSeconds,
  };
}
