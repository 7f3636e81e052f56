import type { Candle } from '@regime/candles';
import { barCloseAt, type LabelerParams, REGIMES, SeriesLabeler } from '@regime/labeler';
import type { Regime, RegimePrediction } from '@regime/model/runtime';
import type { MarketSeries } from './market.ts';

/**
 * Who writes the regime a regime strategy reads:
 * - model: the official prediction (the product);
 * - causal: labeler 2's causal segmentation, the forward filter's state at T's bar (no look-ahead,
 *   no model): what the filter alone gives;
 * - hindsight: labeler 2's labels, the segmentation of all the data — they read the future (up to
 *   6 hours after T and beyond): a ceiling, not a strategy.
 */
export type RegimeSource = 'model' | 'causal' | 'hindsight';
export const LABELER_SOURCES = ['hindsight', 'causal'] as const;

/** The regime each labeler source writes at each instant; undefined where it has none. */
export interface LabelerRegimes {
  hindsight: (Regime | undefined)[];
  causal: (Regime | undefined)[];
}

/**
 * Labeler 2 on one symbol's 5m candles, read at the instants. Causal: the state of T's bar (closed by
 * T) once the forward filter has run `warmupBars` bars of its run (before that it would depend on
 * where the data starts); hindsight: the label, where the segmentation has `settleBars` bars after T's
 * bar (the last 6 hours of the data have none).
 */
export function labelerRegimes(
  candles5m: readonly Candle[],
  instants: ArrayLike<number>,
  params: LabelerParams,
): LabelerRegimes {
  const labeler = new SeriesLabeler(candles5m, params);
  const runs = labeler.barRuns();
  const hindsight: (Regime | undefined)[] = [];
  const causal: (Regime | undefined)[] = [];
  for (let k = 0; k < instants.length; k++) {
    const asOf = instants[k]!;
    const bar = labeler.barIndex(barCloseAt(asOf));
    const run = bar < 0 ? undefined : runs.find((r) => bar >= r.from && bar < r.to);
    causal.push(
      run && bar - run.from >= params.segmentation.warmupBars ? REGIMES[labeler.causal[bar]!] : undefined,
    );
    const labels = labeler.labelsAt(asOf);
    hindsight.push(typeof labels === 'string' ? undefined : labels.label);
  }
  return { hindsight, causal };
}

/** A certain "prediction" of one regime: how a labeler's regime is handed to the strategies. */
function certain(regime: Regime): RegimePrediction {
  return {
    regime,
    confidence: 1,
    probabilities: Object.fromEntries(REGIMES.map((r) => [r, r === regime ? 1 : 0])) as Record<
      Regime,
      number
    >,
  };
}

/**
 * The same market with another writer of the regime: the strategies run on it through the same,
 * unedited engine and see the labeler's regime where they saw the prediction.
 */
export function withRegimes(series: MarketSeries, regimes: readonly (Regime | undefined)[]): MarketSeries {
  if (regimes.length !== series.instants.length) {
    throw new Error(`${regimes.length} regimes for ${series.instants.length} instants`);
  }
  const cache = new Map<Regime, RegimePrediction>();
  return {
    ...series,
    predictions: regimes.map((r) => {
      if (r === undefined) return undefined;
      let p = cache.get(r);
      if (!p) {
        p = certain(r);
        cache.set(r, p);
      }
      return p;
    }),
  };
}
