import { REGIME_COUNT, VIEW_SWITCH_COSTS } from '@regime/labeler';
import type { Dataset } from './dataset.ts';
import { macroF1 } from './metrics.ts';

/**
 * Answers read off the labeler's causal view itself (the forward values V_T(s) in the dataset's view
 * summary): the causal segmentation at another switching cost, and the late fusion of the causal
 * filter with a model's probabilities. Both are references a model is compared with on the same
 * samples; their settings are chosen on validation and stored in the artifact.
 */

/** Floor of a probability inside a logarithm: one near-zero answer must not cost infinitely much. */
const FLOOR = 1e-6;

function lambdaIndex(lambda: number): number {
  const l = VIEW_SWITCH_COSTS.indexOf(lambda as (typeof VIEW_SWITCH_COSTS)[number]);
  if (l < 0) throw new Error(`the view carries no forward values at switching cost ${lambda}`);
  return l;
}

/**
 * Late fusion: argmin_s V_T^λ(s) − w · ln p(s), the filter's accumulated cost at T with the model's
 * log-probability beside it (= the argmax of softmax(−V) × p^w). w = 0 is the causal segmentation at λ.
 */
export function lateFusion(
  dataset: Dataset,
  probabilities: ArrayLike<number> | undefined,
  lambda: number,
  weight: number,
): Uint8Array {
  const l = lambdaIndex(lambda);
  const width = dataset.viewSummary.length / Math.max(dataset.size, 1);
  const out = new Uint8Array(dataset.size);
  for (let i = 0; i < dataset.size; i++) {
    const o = i * width + l * REGIME_COUNT;
    let best = 0;
    let bestScore = Number.POSITIVE_INFINITY;
    for (let s = 0; s < REGIME_COUNT; s++) {
      const p = probabilities ? Math.max(probabilities[i * REGIME_COUNT + s]!, FLOOR) : 1;
      const score = dataset.viewSummary[o + s]! - weight * Math.log(p);
      if (score < bestScore) {
        bestScore = score;
        best = s;
      }
    }
    out[i] = best;
  }
  return out;
}

/** The causal segmentation at each switching cost the view carries; the one of best validation macro-F1. */
export function tuneCausalLambda(validation: Dataset): { lambda: number; macroF1: number } {
  let best = { lambda: VIEW_SWITCH_COSTS[0] as number, macroF1: Number.NEGATIVE_INFINITY };
  for (const lambda of VIEW_SWITCH_COSTS) {
    const f1 = macroF1(validation.labels, lateFusion(validation, undefined, lambda, 0));
    if (f1 > best.macroF1) best = { lambda, macroF1: f1 };
  }
  return best;
}

export const FUSION_WEIGHTS = [0.25, 0.5, 1, 2, 4] as const;

/** The late fusion's λ and w of best validation macro-F1 for a model's validation probabilities. */
export function tuneLateFusion(
  validation: Dataset,
  probabilities: ArrayLike<number>,
): { lambda: number; weight: number; macroF1: number } {
  let best = { lambda: VIEW_SWITCH_COSTS[0] as number, weight: FUSION_WEIGHTS[0] as number, macroF1: -1 };
  for (const lambda of VIEW_SWITCH_COSTS)
    for (const weight of FUSION_WEIGHTS) {
      const f1 = macroF1(validation.labels, lateFusion(validation, probabilities, lambda, weight));
      if (f1 > best.macroF1) best = { lambda, weight, macroF1: f1 };
    }
  return best;
}
