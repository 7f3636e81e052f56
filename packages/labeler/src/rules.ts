import type { RegimeEvidence } from './evidence.ts';
import type { LabelerThresholds } from './params.ts';
import { REGIMES, type Regime } from './regimes.ts';

/** The rules, first match wins; the order is part of the definition (see REGIMES.md). */
export function classifyRegime(e: RegimeEvidence, t: LabelerThresholds): Regime {
  if (e.volRatio >= t.spikeVolRatio && e.volPercentile >= t.spikeVolPercentile) return 'volatility_spike';
  if (e.efficiency >= t.strongEfficiency && e.netAtr >= t.strongNetAtr) return 'strong_trend';
  if (e.efficiency >= t.weakEfficiency && e.netAtr >= t.weakNetAtr) return 'weak_trend';
  if (e.volPercentile >= t.choppyVolPercentile) return 'choppy_high_vol';
  if (e.bbPercentile <= t.squeezeBbPercentile && e.rangeAtr <= t.squeezeRangeAtr) return 'squeeze';
  return 'range';
}

/** Class counts and mean run length (in consecutive labelled instants) of a label sequence. */
export function labelStatistics(labels: readonly Regime[]): {
  counts: Record<Regime, number>;
  meanRun: Record<Regime, number>;
} {
  const counts = Object.fromEntries(REGIMES.map((r) => [r, 0])) as Record<Regime, number>;
  const runs = Object.fromEntries(REGIMES.map((r) => [r, 0])) as Record<Regime, number>;
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i]!;
    counts[label]++;
    if (i === 0 || labels[i - 1] !== label) runs[label]++;
  }
  const meanRun = Object.fromEntries(
    REGIMES.map((r) => [r, runs[r] > 0 ? counts[r] / runs[r] : 0]),
  ) as Record<Regime, number>;
  return { counts, meanRun };
}
