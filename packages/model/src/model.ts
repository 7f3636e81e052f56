import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FeatureWindow } from '@regime/features';
import type { LabelerView } from '@regime/labeler';
import { REGIME_COUNT, REGIMES, type Regime } from '@regime/labeler';
import { readInferenceArtifact } from './artifact-files.ts';
import { calendarInputs } from './calendar.ts';
import { type DecisionRule, decideRegime } from './decision.ts';
import type { ModelMetadata } from './metadata.ts';
import { networkProbabilities } from './network-inputs.ts';
import { applyScaler } from './scaler.ts';
import { VIEW_BARS_SIZE, VIEW_SUMMARY_WIDTH, writeViewInputs } from './view-inputs.ts';

export interface RegimePrediction {
  regime: Regime;
  /** Probability of `regime`. */
  confidence: number;
  probabilities: Record<Regime, number>;
}

/** What the model reads as of one instant: the feature window and the labeler's causal view. */
export interface ModelInput {
  window: FeatureWindow;
  view: LabelerView;
}

export interface RegimeModel {
  readonly version: string;
  readonly metadata: ModelMetadata;
  /** The decision layer's rule (decision.ts): how many earlier windows the written regime reads. */
  readonly decision: DecisionRule;
  /**
   * One prediction per input, in order. Refuses windows whose shape or feature names differ from the
   * model's, a view of another instant, and non-finite values.
   */
  predict(inputs: readonly ModelInput[]): Promise<RegimePrediction[]>;
  dispose(): void;
}

/** packages/model/artifacts/default: the model shipped with the repository. */
export function defaultModelDir(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), '../artifacts/default');
}

function sameNames(a: readonly string[], b: readonly string[]): boolean {
  return a === b || (a.length === b.length && a.every((v, i) => v === b[i]));
}

/** Turns one row of softmax output into a prediction. */
export function toPrediction(probabilities: ArrayLike<number>, offset = 0): RegimePrediction {
  let best = 0;
  const record = {} as Record<Regime, number>;
  REGIMES.forEach((regime, k) => {
    const p = probabilities[offset + k]!;
    record[regime] = p;
    if (p > probabilities[offset + best]!) best = k;
  });
  return { regime: REGIMES[best]!, confidence: probabilities[offset + best]!, probabilities: record };
}

/**
 * The written prediction of T from the model's answers for the rule's windows (oldest first, the
 * newest at T): the decided regime, its probability at T, and T's probabilities.
 */
export function decidePrediction(rule: DecisionRule, answers: readonly RegimePrediction[]): RegimePrediction {
  const newest = answers[answers.length - 1];
  if (!newest) throw new Error('the decision needs the prediction at T');
  const rows = answers.flatMap((a) => REGIMES.map((r) => a.probabilities[r]));
  const regime = REGIMES[decideRegime(rows, answers.length, rule)]!;
  return { regime, confidence: newest.probabilities[regime], probabilities: newest.probabilities };
}

/**
 * Loads an artifact folder and verifies it against this build (feature names in order, intervals,
 * steps, regime map, labeler version, model shapes); a mismatch throws ModelArtifactError. The
 * network runs on the inference kernel (kernel/): no tfjs is loaded.
 */
export async function loadRegimeModel(dir: string): Promise<RegimeModel> {
  const { network, metadata, scalers } = await readInferenceArtifact(dir);
  const steps = metadata.steps;
  const featureCount = metadata.featureNames.length;
  let disposed = false;
  return {
    version: metadata.version,
    metadata,
    decision: {
      windows: metadata.decision.windows,
      spacingMinutes: metadata.decision.spacingMinutes,
      margin: metadata.decision.margin,
    },
    async predict(batch) {
      if (disposed) throw new Error(`model ${metadata.version} has been disposed`);
      if (batch.length === 0) return [];
      const row = steps * featureCount;
      const raw = new Float64Array(batch.length * row);
      const summaries = new Float32Array(batch.length * VIEW_SUMMARY_WIDTH);
      const bars = new Float32Array(batch.length * VIEW_BARS_SIZE);
      batch.forEach(({ window: w, view }, i) => {
        if (w.steps !== steps || w.values.length !== row) {
          throw new Error(
            `window ${i} (as of ${w.asOf}) has ${w.steps} steps × ${w.values.length / w.steps} features; the model needs ${steps} × ${featureCount}`,
          );
        }
        if (!sameNames(w.featureNames, metadata.featureNames)) {
          throw new Error(
            `window ${i} (as of ${w.asOf}) has different feature names than model ${metadata.version}`,
          );
        }
        if (view.asOf !== w.asOf) {
          throw new Error(`input ${i}: the labeler view is as of ${view.asOf}, the window as of ${w.asOf}`);
        }
        for (let k = 0; k < row; k++) {
          if (!Number.isFinite(w.values[k])) {
            throw new Error(
              `window ${i} (as of ${w.asOf}) has a non-finite value at step ${Math.floor(k / featureCount)}, feature ${metadata.featureNames[k % featureCount]}`,
            );
          }
        }
        for (const [name, values] of [
          ['summary', view.summary],
          ['bars', view.bars],
        ] as const) {
          const bad = values.findIndex((v) => !Number.isFinite(v));
          if (bad >= 0)
            throw new Error(
              `input ${i} (as of ${w.asOf}): the labeler view's ${name} value ${bad} is not finite`,
            );
        }
        raw.set(w.values, i * row);
        writeViewInputs(view, summaries, i * VIEW_SUMMARY_WIDTH, bars, i * VIEW_BARS_SIZE);
      });
      const probabilities = networkProbabilities(network, {
        x: applyScaler(scalers.features, raw),
        calendar: calendarInputs(batch.map((b) => b.window.asOf)),
        viewSummary: applyScaler(scalers.viewSummary, summaries),
        viewBars: applyScaler(scalers.viewBars, bars),
        steps,
        featureCount,
      });
      return batch.map((_, i) => toPrediction(probabilities, i * REGIME_COUNT));
    },
    dispose() {
      // The kernel holds plain typed arrays: nothing to free but the refusal of later calls.
      disposed = true;
    },
  };
}
