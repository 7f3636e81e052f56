import { REGIMES, type Regime } from './regimes.ts';

/**
 * Labeler 2: a symbol's regime at T is the regime of the segment containing T in a segmentation of
 * its whole history into the six regimes (REGIMES.md). This file holds its parameters: evidence.ts
 * computes one 15-minute bar's evidence (the quantities of the trailing window that ends at the
 * bar), rules.ts holds the six rules of labeler 1 that define each regime's region of that evidence,
 * regime-costs.ts turns the rules into per-bar costs, segmentation.ts segments, label-series.ts
 * applies it to a candle series.
 *
 * Every quantity is a log return, a ratio or a percentile rank, so the labels are scale-free (any
 * pair, any price level).
 */

export const LABELER_VERSION = '2.0.0';

export interface LabelerParams {
  /** Base candles per bar (3 × 5m = one 15m bar). */
  baseCandlesPerBar: number;
  /** Bars in the trailing evidence window of a bar (16 × 15m = 4 hours). */
  windowBars: number;
  /** Earlier non-overlapping windows a bar's window is ranked against (90 × 4 h = 15 days). */
  historyBlocks: number;
  /** Newest earlier windows whose mean true range is the ATR reference (6 × 4 h = 24 hours). */
  atrBlocks: number;
  /** The rules' thresholds: each regime's region of the evidence. */
  thresholds: LabelerThresholds;
  /** The segmentation: per-bar costs and the switching cost λ. */
  segmentation: SegmentationParams;
}

export interface SegmentationParams {
  /** λ: the cost of one regime switch, in cost units (one unit = one scale of one quantity). */
  switchCost: number;
  /** Per-quantity distances that count as one cost unit. */
  scales: CostScales;
  /** Added to every bar's cost of a regime: shifts the coverage of the regimes. */
  offsets: Record<Regime, number>;
  /**
   * Bars of data a label needs after its bar. The segmentation near the end of the data is
   * provisional (a later bar can move the last switch); after this many bars a label changes
   * rarely (REGIMES.md, "Settling"), so instants closer to the end of the data are not labelled.
   */
  settleBars: number;
  /**
   * Bars the causal state needs before the first instant it is asked for: the forward recursion
   * forgets where it started within about this many bars.
   */
  warmupBars: number;
}

export interface LabelerThresholds {
  /** volatility_spike: window volatility ≥ this × the median earlier-window volatility … */
  spikeVolRatio: number;
  /** … and at or above this percentile of the earlier windows. */
  spikeVolPercentile: number;
  /** strong_trend: efficiency ratio ≥ this … */
  strongEfficiency: number;
  /** … and a net move of at least this many ATRs. */
  strongNetAtr: number;
  /** weak_trend: efficiency ratio ≥ this … */
  weakEfficiency: number;
  /** … and a net move of at least this many ATRs. */
  weakNetAtr: number;
  /** choppy_high_vol: window volatility at or above this percentile of the earlier windows. */
  choppyVolPercentile: number;
  /** squeeze: Bollinger width at or below this percentile of the earlier windows … */
  squeezeBbPercentile: number;
  /** … and a high-low range of at most this many ATRs. */
  squeezeRangeAtr: number;
}

export const DEFAULT_LABELER_PARAMS: LabelerParams = {
  baseCandlesPerBar: 3,
  windowBars: 16,
  historyBlocks: 90,
  atrBlocks: 6,
  thresholds: {
    spikeVolRatio: 2,
    spikeVolPercentile: 0.95,
    strongEfficiency: 0.45,
    strongNetAtr: 4,
    weakEfficiency: 0.3,
    weakNetAtr: 2,
    choppyVolPercentile: 0.7,
    squeezeBbPercentile: 0.2,
    squeezeRangeAtr: 4,
  },
  segmentation: {
    switchCost: 4,
    scales: {
      efficiency: 0.1,
      netAtr: 1,
      logVolRatio: 0.35,
      volPercentile: 0.1,
      bbPercentile: 0.1,
      rangeAtr: 1,
    },
    offsets: Object.fromEntries(REGIMES.map((r) => [r, 0])) as Record<Regime, number>,
    settleBars: 24,
    warmupBars: 192,
  },
};

/** How far, in the quantity's own unit, counts as one unit of cost. */
export interface CostScales {
  /** Efficiency ratio (0..1). */
  efficiency: number;
  /** Net move in ATRs. */
  netAtr: number;
  /** Natural log of the volatility ratio. */
  logVolRatio: number;
  /** Volatility percentile (0..1). */
  volPercentile: number;
  /** Bollinger-width percentile (0..1). */
  bbPercentile: number;
  /** High-low range in ATRs. */
  rangeAtr: number;
}
