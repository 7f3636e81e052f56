import { BAR_MS, type SeriesLabeler } from './label-series.ts';
import type { LabelerParams } from './params.ts';
import { REGIME_COUNT, REGIMES, type Regime } from './regimes.ts';
import { segmentStates } from './segmentation.ts';

/** A span of time [from, to), epoch ms. */
export interface Period {
  from: number;
  to: number;
}

/**
 * What labeler 2's labels look like on real candles: coverage, persistence and each regime's
 * character (the tables of REGIMES.md), and how soon a label near "now" stops changing.
 */

/** Bars per year, for annualising a 15-minute volatility (crypto trades around the clock). */
const BARS_PER_YEAR = (365 * 86_400_000) / BAR_MS;

export interface RegimeCharacter {
  /** Segments of this regime (consecutive labelled bars of it). */
  segments: number;
  /** Share of labelled bars. */
  share: number;
  /** Mean segment length in minutes. */
  meanRunMinutes: number;
  /** Medians over the segments of: annualised realised volatility of the 15m returns (RMS, not demeaned), */
  realisedVolatility: number;
  /** efficiency ratio |Σr| / Σ|r|, */
  efficiency: number;
  /** and |net move| as a fraction of the price. */
  netMove: number;
}

export interface LabelReport {
  from: string;
  to: string;
  labelledBars: number;
  skipped: { gap: number; unsettled: number };
  switchesPerDay: number;
  meanRunMinutes: number;
  regimes: Record<Regime, RegimeCharacter>;
}

const medianOf = (values: number[]): number => {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/** The label statistics of every bar closing in [period.from, period.to). */
export function labelReport(labeler: SeriesLabeler, period: Period): LabelReport {
  const skipped = { gap: 0, unsettled: 0 };
  // Consecutive labelled bars with the same label: [regime, returns of its bars].
  const segments: { regime: Regime; returns: number[] }[] = [];
  let previousClose = Number.NaN;
  let labelled = 0;
  let switches = 0;
  for (let close = Math.ceil(period.from / BAR_MS) * BAR_MS; close < period.to; close += BAR_MS) {
    const labels = labeler.labelsAt(close);
    if (typeof labels === 'string') {
      skipped[labels]++;
      continue;
    }
    labelled++;
    const r = labeler.barReturn[labeler.barIndex(close)]!;
    const current = segments[segments.length - 1];
    const continues = previousClose === close - BAR_MS && current !== undefined;
    if (continues && current.regime === labels.label) current.returns.push(r);
    else {
      if (continues) switches++;
      segments.push({ regime: labels.label, returns: [r] });
    }
    previousClose = close;
  }
  const regimes = {} as Record<Regime, RegimeCharacter>;
  for (const regime of REGIMES) {
    const own = segments.filter((s) => s.regime === regime);
    const bars = own.reduce((n, s) => n + s.returns.length, 0);
    const vol: number[] = [];
    const efficiency: number[] = [];
    const net: number[] = [];
    for (const { returns } of own) {
      let sum = 0;
      let path = 0;
      let squares = 0;
      for (const r of returns) {
        sum += r;
        path += Math.abs(r);
        squares += r * r;
      }
      vol.push(Math.sqrt((squares / returns.length) * BARS_PER_YEAR));
      efficiency.push(path > 0 ? Math.abs(sum) / path : 0);
      net.push(Math.abs(Math.expm1(sum)));
    }
    regimes[regime] = {
      segments: own.length,
      share: labelled > 0 ? bars / labelled : 0,
      meanRunMinutes: own.length > 0 ? (bars * BAR_MS) / 60_000 / own.length : 0,
      realisedVolatility: medianOf(vol),
      efficiency: medianOf(efficiency),
      netMove: medianOf(net),
    };
  }
  const days = (labelled * BAR_MS) / 86_400_000;
  return {
    from: new Date(period.from).toISOString(),
    to: new Date(period.to).toISOString(),
    labelledBars: labelled,
    skipped,
    switchesPerDay: days > 0 ? switches / days : 0,
    meanRunMinutes: segments.length > 0 ? (labelled * BAR_MS) / 60_000 / segments.length : 0,
    regimes,
  };
}

export interface SettleCurve {
  /** changed[a]: share of bars whose label, segmented with data up to a bars after them, differs from the final label. */
  changed: number[];
  cutoffs: number;
}

/**
 * How provisional the segmentation is near the end of the data: at each cutoff bar k (every
 * `everyBars` bars in [period.from, period.to)), segments the `contextBars` bars ending at k as if k
 * were "now", and compares the label of bar k − a with the label from all the data, for every age a
 * up to `maxAgeBars`. Labels older than where `changed` falls below 1 % are what the settle margin
 * (`segmentation.settleBars`) leaves out.
 */
export function settleCurve(
  labeler: SeriesLabeler,
  params: LabelerParams,
  period: Period,
  options: { maxAgeBars: number; contextBars: number; everyBars: number },
): SettleCurve {
  const changed = new Array<number>(options.maxAgeBars + 1).fill(0);
  const counted = new Array<number>(options.maxAgeBars + 1).fill(0);
  let cutoffs = 0;
  for (const run of labeler.barRuns()) {
    for (let k = run.from + options.contextBars - 1; k < run.to; k += options.everyBars) {
      const close = labeler.barClose[k]!;
      if (close < period.from || close >= period.to) continue;
      const from = k - options.contextBars + 1;
      const provisional = segmentStates(
        { costs: labeler.costs.subarray(from * REGIME_COUNT, (k + 1) * REGIME_COUNT), states: REGIME_COUNT },
        params.segmentation.switchCost,
      );
      cutoffs++;
      for (let a = 0; a <= options.maxAgeBars && k - a >= from; a++) {
        counted[a]!++;
        if (provisional[k - a - from] !== labeler.segment[k - a]) changed[a]!++;
      }
    }
  }
  return { changed: changed.map((c, a) => (counted[a]! > 0 ? c / counted[a]! : 0)), cutoffs };
}
