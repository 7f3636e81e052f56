import { REGIME_COUNT } from '@regime/labeler';
import { CALENDAR_COUNT } from './calendar.ts';
import { WIDE_WIDTH } from './network.ts';
import { inputCount, type NetworkInputs } from './train.ts';
import { VIEW_BAR_WIDTH, VIEW_BARS_SIZE, VIEW_SUMMARY_WIDTH, WIDE_VIEW_BARS } from './view-inputs.ts';

/**
 * The baselines the network must beat, on the same samples:
 * - majority: always the most frequent training class;
 * - rules: today's trailing-window rules on the 4 h ending at T (computed by the dataset builder);
 * - causal: labeler 2's segmentation of the data up to T only, its last state (the dataset builder),
 *   at the labeler's switching cost and at the one best on validation (causal.ts);
 * - logistic: multinomial logistic regression on the newest feature row and the calendar of T (no sequence);
 * - logisticView: the same on the labeler's view: its summary, the newest 4 hours of bar rows and the
 *   calendar (the network's wide part starts as this fit).
 */

export function majorityClass(labels: ArrayLike<number>): number {
  const counts = new Array<number>(REGIME_COUNT).fill(0);
  for (let i = 0; i < labels.length; i++) counts[labels[i]!]!++;
  return counts.indexOf(Math.max(...counts));
}

/**
 * The logistic baseline's input: the newest step's feature row of each window followed by the calendar
 * inputs of its as-of instant, n × (featureCount + CALENDAR_COUNT). It sees everything the network
 * sees except the 63 older steps, so the comparison isolates what the sequence adds.
 */
export function logisticInputs(data: NetworkInputs): Float32Array {
  const { steps, featureCount } = data;
  const rowSize = steps * featureCount;
  const n = inputCount(data);
  const width = featureCount + CALENDAR_COUNT;
  const out = new Float32Array(n * width);
  for (let i = 0; i < n; i++) {
    const from = i * rowSize + (steps - 1) * featureCount;
    out.set(data.x.subarray(from, from + featureCount), i * width);
    out.set(data.calendar.subarray(i * CALENDAR_COUNT, (i + 1) * CALENDAR_COUNT), i * width + featureCount);
  }
  return out;
}

/**
 * The logistic baseline on the view (the wide part's input): the view summary, the newest
 * WIDE_VIEW_BARS bar rows and the calendar, n × WIDE_WIDTH.
 */
export function viewLogisticInputs(data: NetworkInputs): Float32Array {
  const n = inputCount(data);
  const out = new Float32Array(n * WIDE_WIDTH);
  const newest = WIDE_VIEW_BARS * VIEW_BAR_WIDTH;
  for (let i = 0; i < n; i++) {
    const o = i * WIDE_WIDTH;
    out.set(data.viewSummary.subarray(i * VIEW_SUMMARY_WIDTH, (i + 1) * VIEW_SUMMARY_WIDTH), o);
    out.set(
      data.viewBars.subarray((i + 1) * VIEW_BARS_SIZE - newest, (i + 1) * VIEW_BARS_SIZE),
      o + VIEW_SUMMARY_WIDTH,
    );
    out.set(
      data.calendar.subarray(i * CALENDAR_COUNT, (i + 1) * CALENDAR_COUNT),
      o + VIEW_SUMMARY_WIDTH + newest,
    );
  }
  return out;
}

export interface LogisticState {
  featureCount: number;
  /** featureCount × 6, row-major. */
  weights: number[];
  bias: number[];
}

export interface LogisticOptions {
  iterations: number;
  learningRate: number;
  l2: number;
  classWeights: readonly number[];
}

export const DEFAULT_LOGISTIC: Omit<LogisticOptions, 'classWeights'> = {
  iterations: 300,
  learningRate: 0.1,
  l2: 1e-4,
};

function softmaxRow(z: Float64Array): void {
  let max = Number.NEGATIVE_INFINITY;
  for (const v of z) if (v > max) max = v;
  let sum = 0;
  for (let k = 0; k < z.length; k++) {
    z[k] = Math.exp(z[k]! - max);
    sum += z[k]!;
  }
  for (let k = 0; k < z.length; k++) z[k]! /= sum;
}

/**
 * Full-batch class-weighted multinomial logistic regression fitted with Adam from zero weights:
 * deterministic, no seed needed, seconds on tens of thousands of rows.
 */
export function trainLogistic(x: Float32Array, y: Uint8Array, options: LogisticOptions): LogisticState {
  const n = y.length;
  const f = x.length / n;
  const K = REGIME_COUNT;
  const params = new Float64Array(f * K + K);
  const m = new Float64Array(params.length);
  const v = new Float64Array(params.length);
  const grad = new Float64Array(params.length);
  const z = new Float64Array(K);
  let weightSum = 0;
  for (let i = 0; i < n; i++) weightSum += options.classWeights[y[i]!]!;
  const beta1 = 0.9;
  const beta2 = 0.999;
  for (let it = 1; it <= options.iterations; it++) {
    grad.fill(0);
    for (let i = 0; i < n; i++) {
      const row = i * f;
      for (let k = 0; k < K; k++) z[k] = params[f * K + k]!;
      for (let j = 0; j < f; j++) {
        const xj = x[row + j]!;
        if (xj === 0) continue;
        for (let k = 0; k < K; k++) z[k]! += xj * params[j * K + k]!;
      }
      softmaxRow(z);
      const w = options.classWeights[y[i]!]! / weightSum;
      z[y[i]!]! -= 1;
      for (let k = 0; k < K; k++) {
        const g = z[k]! * w;
        grad[f * K + k]! += g;
        for (let j = 0; j < f; j++) grad[j * K + k]! += g * x[row + j]!;
      }
    }
    for (let p = 0; p < f * K; p++) grad[p]! += options.l2 * params[p]!;
    for (let p = 0; p < params.length; p++) {
      m[p] = beta1 * m[p]! + (1 - beta1) * grad[p]!;
      v[p] = beta2 * v[p]! + (1 - beta2) * grad[p]! ** 2;
      const mHat = m[p]! / (1 - beta1 ** it);
      const vHat = v[p]! / (1 - beta2 ** it);
      params[p]! -= (options.learningRate * mHat) / (Math.sqrt(vHat) + 1e-8);
    }
  }
  return {
    featureCount: f,
    weights: Array.from(params.subarray(0, f * K)),
    bias: Array.from(params.subarray(f * K)),
  };
}

/** Class probabilities (n × 6) of the logistic baseline. */
export function predictLogistic(state: LogisticState, x: Float32Array): Float64Array {
  const f = state.featureCount;
  const K = REGIME_COUNT;
  const n = x.length / f;
  const out = new Float64Array(n * K);
  const z = new Float64Array(K);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < K; k++) z[k] = state.bias[k]!;
    for (let j = 0; j < f; j++) {
      const xj = x[i * f + j]!;
      for (let k = 0; k < K; k++) z[k]! += xj * state.weights[j * K + k]!;
    }
    softmaxRow(z);
    out.set(z, i * K);
  }
  return out;
}
