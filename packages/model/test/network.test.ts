import { REGIME_COUNT, VIEW_BAR_NAMES, VIEW_BARS, VIEW_SUMMARY_NAMES } from '@regime/labeler';
import { beforeAll, describe, expect, it } from 'vitest';
import { predictLogistic, viewLogisticInputs } from '../src/baselines.ts';
import { calendarInputs } from '../src/calendar.ts';
import { buildNetwork, shiftOutputBias } from '../src/network.ts';
import { type NetworkInputs, WIDE_WIDTH } from '../src/network-inputs.ts';
import { seededRandom } from '../src/rng.ts';
import { initTensorflow } from '../src/tensorflow.ts';
import { predictProbabilities } from '../src/train.ts';
import { WIDE_VIEW_BARS } from '../src/view-inputs.ts';

const steps = 8;
const featureCount = 3;
const network = { groupBars: 4, units: 4, windowUnits: 3, hidden: 4, dropout: 0.2, seed: 3 };
const random = seededRandom(5);
const n = 20;
const noise = (length: number) => Float32Array.from({ length }, () => random() * 4 - 2);
const barWidth = VIEW_BAR_NAMES.length;
const inputs: NetworkInputs = {
  x: noise(n * steps * featureCount),
  calendar: calendarInputs(Array.from({ length: n }, (_, i) => Date.UTC(2025, 0, 1) + i * 3_700_000)),
  viewSummary: noise(n * VIEW_SUMMARY_NAMES.length),
  viewBars: noise(n * VIEW_BARS * barWidth),
  steps,
  featureCount,
};
const logistic = {
  featureCount: WIDE_WIDTH,
  weights: Array.from({ length: WIDE_WIDTH * REGIME_COUNT }, () => random() - 0.5),
  bias: Array.from({ length: REGIME_COUNT }, () => random() - 0.5),
};

/** Inputs with `count` values changed in every sample from `at(sample)`, the index in the named array. */
function changed(
  name: 'x' | 'viewBars' | 'viewSummary',
  at: (i: number) => number,
  count = 1,
): NetworkInputs {
  const copy = { ...inputs, [name]: inputs[name].slice() };
  for (let i = 0; i < n; i++) for (let k = 0; k < count; k++) copy[name][at(i) + k]! += 2;
  return copy;
}

const maxDifference = (a: Float32Array, b: Float32Array) => Math.max(...a.map((p, i) => Math.abs(p - b[i]!)));

beforeAll(async () => {
  await initTensorflow();
});

describe('wide and deep network', () => {
  it('starts as the logistic regression on the view it is given: same probabilities before any training', () => {
    const model = buildNetwork(steps, featureCount, network, logistic);
    const fromModel = predictProbabilities(model, inputs);
    const fromLogistic = predictLogistic(logistic, viewLogisticInputs(inputs));
    model.dispose();
    expect(fromModel).toHaveLength(n * REGIME_COUNT);
    fromModel.forEach((p, i) => {
      expect(p).toBeCloseTo(fromLogistic[i]!, 5);
    });
  });

  it('the wide part reads the view summary and the newest bars only; the older bars do not reach it', () => {
    const model = buildNetwork(steps, featureCount, network, logistic);
    const base = predictProbabilities(model, inputs);
    const barsRow = VIEW_BARS * barWidth;
    const newestBar = predictProbabilities(
      model,
      changed('viewBars', (i) => (i + 1) * barsRow - 1),
    );
    const oldestWideBar = predictProbabilities(
      model,
      changed('viewBars', (i) => i * barsRow + (VIEW_BARS - WIDE_VIEW_BARS) * barWidth),
    );
    const olderBar = predictProbabilities(
      model,
      changed('viewBars', (i) => i * barsRow),
    );
    const summary = predictProbabilities(
      model,
      changed('viewSummary', (i) => i * VIEW_SUMMARY_NAMES.length),
    );
    model.dispose();
    expect(maxDifference(base, newestBar)).toBeGreaterThan(1e-4);
    expect(maxDifference(base, oldestWideBar)).toBeGreaterThan(1e-4);
    expect(maxDifference(base, summary)).toBeGreaterThan(1e-4);
    // The deep part starts at zero, so a bar older than the wide part's 4 hours changes nothing yet.
    expect(maxDifference(base, olderBar)).toBeLessThan(1e-6);
  });

  it('reads the oldest view bar and the oldest window step through the deep part when it starts from scratch', () => {
    const model = buildNetwork(steps, featureCount, network);
    const base = predictProbabilities(model, inputs);
    const oldestBar = predictProbabilities(
      model,
      changed('viewBars', (i) => i * VIEW_BARS * barWidth, barWidth),
    );
    const oldestStep = predictProbabilities(
      model,
      changed('x', (i) => i * steps * featureCount, featureCount),
    );
    model.dispose();
    expect(maxDifference(base, oldestBar)).toBeGreaterThan(1e-6);
    expect(maxDifference(base, oldestStep)).toBeGreaterThan(1e-6);
  });

  it('folds a decision bias into the logits: softmax(z + δ)', () => {
    const model = buildNetwork(steps, featureCount, network, logistic);
    const before = predictProbabilities(model, inputs);
    const offsets = [0, 0.5, -0.3, 0, 1, -1];
    shiftOutputBias(model, offsets);
    const after = predictProbabilities(model, inputs);
    model.dispose();
    for (let i = 0; i < n; i++) {
      const z = offsets.map((d, k) => Math.log(before[i * REGIME_COUNT + k]!) + d);
      const sum = z.reduce((s, v) => s + Math.exp(v), 0);
      z.forEach((v, k) => {
        expect(after[i * REGIME_COUNT + k]).toBeCloseTo(Math.exp(v) / sum, 5);
      });
    }
  });
});
