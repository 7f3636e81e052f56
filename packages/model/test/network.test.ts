import { REGIME_COUNT } from '@regime/labeler';
import { beforeAll, describe, expect, it } from 'vitest';
import { logisticInputs, predictLogistic } from '../src/baselines.ts';
import { CALENDAR_COUNT, calendarInputs } from '../src/calendar.ts';
import { buildNetwork, shiftOutputBias } from '../src/network.ts';
import { seededRandom } from '../src/rng.ts';
import { initTensorflow } from '../src/tensorflow.ts';
import { predictProbabilities } from '../src/train.ts';

const steps = 8;
const featureCount = 3;
const network = { groupSteps: 4, units: 4, hidden: 4, dropout: 0.2, seed: 3 };
const random = seededRandom(5);
const n = 20;
const inputs = {
  x: Float32Array.from({ length: n * steps * featureCount }, () => random() * 4 - 2),
  calendar: calendarInputs(Array.from({ length: n }, (_, i) => Date.UTC(2025, 0, 1) + i * 3_700_000)),
  steps,
  featureCount,
};
const width = featureCount + CALENDAR_COUNT;
const logistic = {
  featureCount: width,
  weights: Array.from({ length: width * REGIME_COUNT }, () => random() - 0.5),
  bias: Array.from({ length: REGIME_COUNT }, () => random() - 0.5),
};

beforeAll(async () => {
  await initTensorflow();
});

describe('wide and deep network', () => {
  it('starts as the logistic regression it is given: same probabilities before any training', () => {
    const model = buildNetwork(steps, featureCount, network, logistic);
    const fromModel = predictProbabilities(model, inputs);
    const fromLogistic = predictLogistic(logistic, logisticInputs(inputs));
    model.dispose();
    expect(fromModel).toHaveLength(n * REGIME_COUNT);
    fromModel.forEach((p, i) => {
      expect(p).toBeCloseTo(fromLogistic[i]!, 5);
    });
  });

  it('uses the older steps through the LSTM when it starts from scratch', () => {
    const model = buildNetwork(steps, featureCount, network);
    const older = { ...inputs, x: inputs.x.slice() };
    for (let i = 0; i < n; i++) older.x[i * steps * featureCount]! += 1; // step 0 only, never the newest
    const a = predictProbabilities(model, inputs);
    const b = predictProbabilities(model, older);
    model.dispose();
    expect(Math.max(...a.map((p, i) => Math.abs(p - b[i]!)))).toBeGreaterThan(1e-6);
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
