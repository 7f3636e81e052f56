import type { Candle } from '@regime/candles';
import type { CandleHistory } from '@regime/features';
import {
  DECISION_LEAD_IN_MS,
  evaluateClassifiers,
  type InferenceArtifact,
  labelStability,
  type Period,
  type SymbolHistory,
  samplesFrom,
  selectSamples,
  splitDataset,
} from '@regime/model';
import type { RegistryMetrics } from '@regime/questdb';

export interface WindowScore {
  metrics: RegistryMetrics;
  labelSwitchesPerDay: number;
  samples: number;
}

/**
 * One model on the evaluation window, exactly as `regime-model evaluate` scores it (the decision
 * layer's lead-in before the window, decided on and not scored): its written regime's macro-F1,
 * switches/day and ECE, and the labels' own switches/day.
 */
export async function scoreOnWindow(
  artifact: InferenceArtifact,
  inputs: readonly SymbolHistory[],
  window: Period,
  strideMinutes: number,
): Promise<WindowScore> {
  const { network, metadata, scalers, baselines } = artifact;
  const built = await splitDataset(
    inputs,
    { from: window.from - DECISION_LEAD_IN_MS, to: window.to },
    strideMinutes,
    metadata.labeler.params,
  );
  const scored = samplesFrom(built.dataset, window.from);
  if (scored.length === 0) throw new Error('no usable samples in the evaluation window');
  const evaluation = evaluateClassifiers(
    network,
    scalers,
    baselines,
    built.dataset,
    strideMinutes,
    metadata.decision,
    scored,
  );
  const written = evaluation.results.model;
  return {
    metrics: { macroF1: written.macroF1, switchesPerDay: written.switchesPerDay, ece: written.ece ?? 1 },
    labelSwitchesPerDay: labelStability(selectSamples(built.dataset, scored), strideMinutes).switchesPerDay,
    samples: scored.length,
  };
}

/** The candles of a history that closed by `end`: what was known at `end`, nothing after. */
export function historyUntil(history: CandleHistory, end: number): CandleHistory {
  const cut = (candles: readonly Candle[]) => candles.filter((c) => c.closeTime < end);
  return { '5m': cut(history['5m']), '15m': cut(history['15m']), '1h': cut(history['1h']) };
}
