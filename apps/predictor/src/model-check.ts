import { FEATURE_NAMES, type FeatureWindow, WINDOW_STEPS } from '@regime/features';
import { type LabelerView, VIEW_BAR_NAMES, VIEW_BARS, VIEW_SUMMARY_NAMES } from '@regime/labeler';
import { REGIMES, type RegimeModel } from '@regime/model/runtime';

/**
 * A model must answer before it is put in service: one prediction on a neutral input has to give
 * six finite probabilities in [0, 1] summing to 1 and a known regime. Catches a half-written or
 * mismatched artifact that loaded without complaint.
 */
export async function verifyModel(model: RegimeModel): Promise<void> {
  if (!model.version) throw new Error('model has no version');
  const window: FeatureWindow = {
    asOf: 0,
    steps: WINDOW_STEPS,
    featureNames: FEATURE_NAMES,
    values: new Float64Array(WINDOW_STEPS * FEATURE_NAMES.length),
    stepEnds: Array.from({ length: WINDOW_STEPS }, (_, i) => i),
  };
  const view: LabelerView = {
    asOf: 0,
    barClose: 0,
    summary: new Float64Array(VIEW_SUMMARY_NAMES.length),
    bars: new Float64Array(VIEW_BARS * VIEW_BAR_NAMES.length),
  };
  const [prediction] = await model.predict([{ window, view }]);
  if (!prediction) throw new Error('model returned no prediction');
  const probabilities = REGIMES.map((r) => prediction.probabilities[r]);
  if (!probabilities.every((p) => typeof p === 'number' && Number.isFinite(p) && p >= 0 && p <= 1)) {
    throw new Error(
      `model probabilities are not all within [0, 1]: ${JSON.stringify(prediction.probabilities)}`,
    );
  }
  const sum = probabilities.reduce((a, b) => a + b, 0);
  if (Math.abs(sum - 1) > 1e-3) throw new Error(`model probabilities sum to ${sum}, not 1`);
  if (!(REGIMES as readonly string[]).includes(prediction.regime)) {
    throw new Error(`model answered an unknown regime "${prediction.regime}"`);
  }
}
