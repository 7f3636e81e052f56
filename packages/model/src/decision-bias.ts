import { REGIME_COUNT } from '@regime/labeler';
import { macroF1 } from './metrics.ts';

/**
 * Per-class log-offsets δ that maximise macro-F1 of argmax(log p + δ) on a labelled set (the
 * validation split). A class-weighted network is calibrated for balanced priors, not for the
 * macro-F1 trade-off between precision and recall; shifting the logits is a prior correction:
 * the output stays a probability distribution (softmax(z + δ)) and it folds into the bias of the
 * final layer, so prediction code does not change.
 *
 * Coordinate ascent over a grid, classes in order, a few passes; δ of the first class stays 0
 * (only differences matter). Deterministic.
 */
export function tuneDecisionBias(
  probabilities: Float32Array | Float64Array,
  labels: Uint8Array,
  options: { grid?: readonly number[]; passes?: number } = {},
): { offsets: number[]; before: number; after: number } {
  const grid = options.grid ?? Array.from({ length: 31 }, (_, i) => -1.5 + i * 0.1);
  const passes = options.passes ?? 3;
  const n = labels.length;
  const logp = new Float64Array(probabilities.length);
  for (let i = 0; i < probabilities.length; i++) logp[i] = Math.log(Math.max(probabilities[i]!, 1e-12));
  const predicted = new Uint8Array(n);
  const score = (offsets: readonly number[]): number => {
    for (let i = 0; i < n; i++) {
      let best = 0;
      let bestValue = logp[i * REGIME_COUNT]! + offsets[0]!;
      for (let k = 1; k < REGIME_COUNT; k++) {
        const v = logp[i * REGIME_COUNT + k]! + offsets[k]!;
        if (v > bestValue) {
          bestValue = v;
          best = k;
        }
      }
      predicted[i] = best;
    }
    return macroF1(labels, predicted);
  };
  const offsets = new Array<number>(REGIME_COUNT).fill(0);
  const before = score(offsets);
  let current = before;
  for (let pass = 0; pass < passes; pass++) {
    for (let k = 1; k < REGIME_COUNT; k++) {
      let bestValue = offsets[k]!;
      for (const candidate of grid) {
        offsets[k] = candidate;
        const s = score(offsets);
        // Strictly better only: ties keep the smaller shift, so the result does not drift.
        if (s > current + 1e-12) {
          current = s;
          bestValue = candidate;
        }
      }
      offsets[k] = bestValue;
    }
  }
  return { offsets, before, after: current };
}
