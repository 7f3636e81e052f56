import { REGIME_COUNT } from '@regime/labeler';
import { CALENDAR_COUNT } from './calendar.ts';
import { inputCount, type NetworkInputs, WIDE_WIDTH } from './network-inputs.ts';
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
 * deterministic, no seed needed. The six classes are six scalar accumulators (REGIME_COUNT is 6):
 * the fit runs over tens of thousands of rows of a few hundred inputs, 300 times, so the inner loops
 * are what training waits for.
 */
export function trainLogistic(x: Float32Array, y: Uint8Array, options: LogisticOptions): LogisticState {
  if (REGIME_COUNT !== 6) throw new Error('trainLogistic is written for six classes');
  const n = y.length;
  const f = x.length / n;
  const K = REGIME_COUNT;
  const params = new Float64Array(f * K + K);
  const m = new Float64Array(params.length);
  const v = new Float64Array(params.length);
  const grad = new Float64Array(params.length);
  const b = f * K;
  let weightSum = 0;
  for (let i = 0; i < n; i++) weightSum += options.classWeights[y[i]!]!;
  const beta1 = 0.9;
  const beta2 = 0.999;
  for (let it = 1; it <= options.iterations; it++) {
    grad.fill(0);
    for (let i = 0; i < n; i++) {
      const row = i * f;
      let z0 = params[b]!;
      let z1 = params[b + 1]!;
      let z2 = params[b + 2]!;
      let z3 = params[b + 3]!;
      let z4 = params[b + 4]!;
      let z5 = params[b + 5]!;
      for (let j = 0; j < f; j++) {
        const xj = x[row + j]!;
        if (xj === 0) continue;
        const o = j * K;
        z0 += xj * params[o]!;
        z1 += xj * params[o + 1]!;
        z2 += xj * params[o + 2]!;
        z3 += xj * params[o + 3]!;
        z4 += xj * params[o + 4]!;
        z5 += xj * params[o + 5]!;
      }
      const max = Math.max(z0, z1, z2, z3, z4, z5);
      const e0 = Math.exp(z0 - max);
      const e1 = Math.exp(z1 - max);
      const e2 = Math.exp(z2 - max);
      const e3 = Math.exp(z3 - max);
      const e4 = Math.exp(z4 - max);
      const e5 = Math.exp(z5 - max);
      const w = options.classWeights[y[i]!]! / weightSum;
      const scale = w / (e0 + e1 + e2 + e3 + e4 + e5);
      const label = y[i]!;
      // d loss / d logit k = w · (p_k − [k = label])
      const g0 = e0 * scale - (label === 0 ? w : 0);
      const g1 = e1 * scale - (label === 1 ? w : 0);
      const g2 = e2 * scale - (label === 2 ? w : 0);
      const g3 = e3 * scale - (label === 3 ? w : 0);
      const g4 = e4 * scale - (label === 4 ? w : 0);
      const g5 = e5 * scale - (label === 5 ? w : 0);
      grad[b]! += g0;
      grad[b + 1]! += g1;
      grad[b + 2]! += g2;
      grad[b + 3]! += g3;
      grad[b + 4]! += g4;
      grad[b + 5]! += g5;
      for (let j = 0; j < f; j++) {
        const xj = x[row + j]!;
        if (xj === 0) continue;
        const o = j * K;
        grad[o]! += g0 * xj;
        grad[o + 1]! += g1 * xj;
        grad[o + 2]! += g2 * xj;
        grad[o + 3]! += g3 * xj;
        grad[o + 4]! += g4 * xj;
        grad[o + 5]! += g5 * xj;
      }
    }
    for (let p = 0; p < b; p++) grad[p]! += options.l2 * params[p]!;
    const correction1 = 1 - beta1 ** it;
    const correction2 = 1 - beta2 ** it;
    for (let p = 0; p < params.length; p++) {
      m[p] = beta1 * m[p]! + (1 - beta1) * grad[p]!;
      v[p] = beta2 * v[p]! + (1 - beta2) * grad[p]! ** 2;
      params[p]! -= (options.learningRate * (m[p]! / correction1)) / (Math.sqrt(v[p]! / correction2) + 1e-8);
    }
  }
  return {
    featureCount: f,
    weights: Array.from(params.subarray(0, b)),
    bias: Array.from(params.subarray(b)),
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
