import { REGIME_COUNT, REGIMES, type Regime } from '@regime/labeler';

export interface ClassMetrics {
  precision: number;
  recall: number;
  f1: number;
  /** True samples of the class. */
  support: number;
}

export interface ClassificationMetrics {
  samples: number;
  accuracy: number;
  macroF1: number;
  perClass: Record<Regime, ClassMetrics>;
  /** confusion[true][predicted], in REGIMES order. */
  confusion: number[][];
  /** Expected calibration error of the top-class confidence; null when the classifier gives no probabilities. */
  ece: number | null;
}

/** Rows: true class, columns: predicted class. */
export function confusionMatrix(truth: ArrayLike<number>, predicted: ArrayLike<number>): number[][] {
  if (truth.length !== predicted.length) throw new Error('truth and predictions differ in length');
  const m = Array.from({ length: REGIME_COUNT }, () => new Array<number>(REGIME_COUNT).fill(0));
  for (let i = 0; i < truth.length; i++) m[truth[i]!]![predicted[i]!]!++;
  return m;
}

/**
 * Macro-F1 averages the F1 of all six classes, so a class that is never predicted counts as 0
 * (not skipped): the rare regimes matter as much as the common ones.
 */
export function macroF1(truth: ArrayLike<number>, predicted: ArrayLike<number>): number {
  return classMetricsFromConfusion(confusionMatrix(truth, predicted)).macroF1;
}

function classMetricsFromConfusion(m: number[][]): {
  perClass: Record<Regime, ClassMetrics>;
  macroF1: number;
} {
  const perClass = {} as Record<Regime, ClassMetrics>;
  let f1Sum = 0;
  REGIMES.forEach((regime, k) => {
    const tp = m[k]![k]!;
    const support = m[k]!.reduce((a, b) => a + b, 0);
    const predictedCount = m.reduce((a, row) => a + row[k]!, 0);
    const precision = predictedCount > 0 ? tp / predictedCount : 0;
    const recall = support > 0 ? tp / support : 0;
    const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
    perClass[regime] = { precision, recall, f1, support };
    f1Sum += f1;
  });
  return { perClass, macroF1: f1Sum / REGIME_COUNT };
}

/**
 * Expected calibration error: samples binned by top-class confidence into `bins` equal-width bins;
 * the support-weighted mean |accuracy − mean confidence| over bins.
 */
export function expectedCalibrationError(
  truth: ArrayLike<number>,
  probabilities: Float32Array | Float64Array,
  bins = 15,
): number {
  const n = truth.length;
  const count = new Float64Array(bins);
  const correct = new Float64Array(bins);
  const confidence = new Float64Array(bins);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let k = 1; k < REGIME_COUNT; k++) {
      if (probabilities[i * REGIME_COUNT + k]! > probabilities[i * REGIME_COUNT + best]!) best = k;
    }
    const p = probabilities[i * REGIME_COUNT + best]!;
    const b = Math.min(bins - 1, Math.floor(p * bins));
    count[b]! += 1;
    confidence[b]! += p;
    if (best === truth[i]) correct[b]! += 1;
  }
  let ece = 0;
  for (let b = 0; b < bins; b++) {
    if (count[b]! > 0)
      ece += (count[b]! / n) * Math.abs(correct[b]! / count[b]! - confidence[b]! / count[b]!);
  }
  return ece;
}

/** Index of the largest of each row of `probabilities` (n × 6). */
export function argmaxRows(probabilities: Float32Array | Float64Array): Uint8Array {
  const n = probabilities.length / REGIME_COUNT;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let k = 1; k < REGIME_COUNT; k++) {
      if (probabilities[i * REGIME_COUNT + k]! > probabilities[i * REGIME_COUNT + best]!) best = k;
    }
    out[i] = best;
  }
  return out;
}

/** All metrics for hard predictions, with calibration when probabilities (n × 6) are given. */
export function classificationMetrics(
  truth: ArrayLike<number>,
  predicted: ArrayLike<number>,
  probabilities?: Float32Array | Float64Array,
): ClassificationMetrics {
  const confusion = confusionMatrix(truth, predicted);
  const { perClass, macroF1: f1 } = classMetricsFromConfusion(confusion);
  let correct = 0;
  for (let k = 0; k < REGIME_COUNT; k++) correct += confusion[k]![k]!;
  return {
    samples: truth.length,
    accuracy: truth.length > 0 ? correct / truth.length : 0,
    macroF1: f1,
    perClass,
    confusion,
    ece: probabilities ? expectedCalibrationError(truth, probabilities) : null,
  };
}
