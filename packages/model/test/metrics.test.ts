import { describe, expect, it } from 'vitest';
import {
  argmaxRows,
  classificationMetrics,
  confusionMatrix,
  expectedCalibrationError,
  macroF1,
} from '../src/metrics.ts';

describe('classification metrics', () => {
  // strong_trend=0 … choppy_high_vol=5
  const truth = [0, 0, 1, 1, 2, 2, 2, 2];
  const predicted = [0, 1, 1, 1, 2, 2, 0, 3];

  it('builds the confusion matrix with true classes as rows', () => {
    const m = confusionMatrix(truth, predicted);
    expect(m[0]).toEqual([1, 1, 0, 0, 0, 0]);
    expect(m[1]).toEqual([0, 2, 0, 0, 0, 0]);
    expect(m[2]).toEqual([1, 0, 2, 1, 0, 0]);
    expect(m[3]).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it('computes per-class precision/recall and a macro-F1 over all six classes', () => {
    const r = classificationMetrics(truth, predicted);
    expect(r.accuracy).toBeCloseTo(5 / 8, 12);
    expect(r.perClass.strong_trend).toMatchObject({ precision: 0.5, recall: 0.5, f1: 0.5, support: 2 });
    expect(r.perClass.weak_trend.precision).toBeCloseTo(2 / 3, 12);
    expect(r.perClass.weak_trend.recall).toBe(1);
    expect(r.perClass.weak_trend.f1).toBeCloseTo(0.8, 12);
    expect(r.perClass.range).toMatchObject({ precision: 1, recall: 0.5, support: 4 });
    expect(r.perClass.range.f1).toBeCloseTo(2 / 3, 12);
    // squeeze predicted once but never true; the last two classes absent: all F1 0, and they count.
    expect(r.perClass.squeeze.f1).toBe(0);
    expect(r.macroF1).toBeCloseTo((0.5 + 0.8 + 2 / 3) / 6, 12);
    expect(macroF1(truth, predicted)).toBeCloseTo(r.macroF1, 15);
    expect(r.ece).toBeNull();
  });

  it('computes the expected calibration error from top-class confidences', () => {
    const p = new Float64Array([
      0.9,
      0.1,
      0,
      0,
      0,
      0, // predicts 0, right
      0.9,
      0.1,
      0,
      0,
      0,
      0, // predicts 0, wrong
      0,
      0.6,
      0.4,
      0,
      0,
      0, // predicts 1, right
      0,
      0,
      0.6,
      0.4,
      0,
      0, // predicts 2, right
    ]);
    const y = [0, 1, 1, 2];
    // bin [0.9,1): accuracy 0.5 vs confidence 0.9; bin [0.6,0.67): accuracy 1 vs 0.6.
    expect(expectedCalibrationError(y, p, 15)).toBeCloseTo(0.5 * 0.4 + 0.5 * 0.4, 12);
    expect(Array.from(argmaxRows(p))).toEqual([0, 0, 1, 2]);
  });
});
