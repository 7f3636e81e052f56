import { type FeatureWindow, featureWindow } from '@regime/features';
import type { RegimeModel, RegimePrediction } from '@regime/model';
import type { PredictionInputs } from './inputs.ts';

/** One "as of T" question: candles known at T (plus live candles in live mode). */
export interface PredictionRequest {
  asOf: number;
  inputs: PredictionInputs;
}

export type PredictionOutcome = { ok: true; prediction: RegimePrediction } | { ok: false; error: Error };

/**
 * history → feature window → model, for many requests with one model call. The only place that
 * turns candles into a regime: the BullMQ worker and the console mode both call it, so a row in
 * regime_predictions and a line on the console are the same computation. A request whose window
 * cannot be built (FeatureError) fails alone; the others still get their prediction.
 */
export async function predictRegimes(
  model: RegimeModel,
  requests: readonly PredictionRequest[],
): Promise<PredictionOutcome[]> {
  const outcomes: PredictionOutcome[] = new Array(requests.length);
  const windows: FeatureWindow[] = [];
  const positions: number[] = [];
  for (let i = 0; i < requests.length; i++) {
    const { asOf, inputs } = requests[i]!;
    try {
      windows.push(featureWindow(inputs.history, asOf, inputs.live ? { live: inputs.live } : {}));
      positions.push(i);
    } catch (error) {
      outcomes[i] = { ok: false, error: error as Error };
    }
  }
  if (windows.length === 0) return outcomes;
  try {
    const predictions = await model.predict(windows);
    positions.forEach((position, k) => {
      outcomes[position] = { ok: true, prediction: predictions[k]! };
    });
  } catch (error) {
    // The model refuses a whole batch for one bad window (e.g. a non-finite feature): find it, keep the rest.
    if (windows.length === 1) {
      outcomes[positions[0]!] = { ok: false, error: error as Error };
      return outcomes;
    }
    for (let k = 0; k < windows.length; k++) {
      try {
        const [prediction] = await model.predict([windows[k]!]);
        outcomes[positions[k]!] = { ok: true, prediction: prediction! };
      } catch (single) {
        outcomes[positions[k]!] = { ok: false, error: single as Error };
      }
    }
  }
  return outcomes;
}
