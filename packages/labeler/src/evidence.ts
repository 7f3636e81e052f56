/**
 * One bar's evidence: the shape of the trailing window of `windowBars` bars that ends at the bar,
 * ranked against the `historyBlocks` earlier windows of the same pair. Scale-free: log returns,
 * ratios and percentile ranks only.
 */
import type { LabelerParams } from './params.ts';

/** A contiguous run of base candles (no missing candle inside), as parallel arrays. */
export interface BaseSeries {
  open: ArrayLike<number>;
  high: ArrayLike<number>;
  low: ArrayLike<number>;
  close: ArrayLike<number>;
}

/** What one window of `windowBars` bars did (all scale-free). */
export interface WindowShape {
  /** ln(last close / reference close): the signed net move. */
  net: number;
  /** |net| / Σ|bar log return|, in [0, 1]: 1 = a straight line, ≈ 0.25 for a 16-bar random walk. */
  efficiency: number;
  /** Root mean square bar log return. */
  volatility: number;
  /** Bollinger(windowBars, 2) width of the bar closes: 4 × population std / mean × 100. */
  bbWidth: number;
  /** ln(max high / min low). */
  rangeLog: number;
  /** Mean log true range per bar. */
  meanTrueRange: number;
}

/** The quantities the rules look at for one labelled window. */
export interface RegimeEvidence extends WindowShape {
  /** Percentile rank (0..1) of `volatility` among the trailing blocks. */
  volPercentile: number;
  /** `volatility` / median trailing block volatility. */
  volRatio: number;
  /** Percentile rank (0..1) of `bbWidth` among the trailing blocks. */
  bbPercentile: number;
  /** ATR reference: mean true range of the newest `atrBlocks` trailing blocks. */
  atr: number;
  /** |net| / atr. */
  netAtr: number;
  /** rangeLog / atr. */
  rangeAtr: number;
}

/** Base candles a window starting at index `start` spans (plus the reference candle before it). */
export function windowSpan(params: LabelerParams): number {
  return params.baseCandlesPerBar * params.windowBars;
}

/**
 * Shape of the window of `windowBars` bars whose first base candle is `start`; the reference price
 * is the close of candle `start - 1`. The caller guarantees `start - 1 … start + span - 1` exist.
 */
export function windowShape(series: BaseSeries, start: number, params: LabelerParams): WindowShape {
  const per = params.baseCandlesPerBar;
  const bars = params.windowBars;
  const reference = series.close[start - 1]!;
  let prevClose = reference;
  let path = 0;
  let sumSq = 0;
  let sumTr = 0;
  let sumClose = 0;
  let sumClose2 = 0;
  let hi = Number.NEGATIVE_INFINITY;
  let lo = Number.POSITIVE_INFINITY;
  for (let b = 0; b < bars; b++) {
    const first = start + b * per;
    let barHigh = series.high[first]!;
    let barLow = series.low[first]!;
    for (let k = 1; k < per; k++) {
      const h = series.high[first + k]!;
      const l = series.low[first + k]!;
      if (h > barHigh) barHigh = h;
      if (l < barLow) barLow = l;
    }
    const barClose = series.close[first + per - 1]!;
    const r = Math.log(barClose / prevClose);
    path += Math.abs(r);
    sumSq += r * r;
    sumTr += Math.log(Math.max(barHigh, prevClose) / Math.min(barLow, prevClose));
    // Closes relative to the reference keep the Bollinger sums well conditioned at any price level.
    const rel = barClose / reference;
    sumClose += rel;
    sumClose2 += rel * rel;
    if (barHigh > hi) hi = barHigh;
    if (barLow < lo) lo = barLow;
    prevClose = barClose;
  }
  const net = Math.log(prevClose / reference);
  const mean = sumClose / bars;
  const variance = Math.max(0, sumClose2 / bars - mean * mean);
  return {
    net,
    efficiency: path > 0 ? Math.abs(net) / path : 0,
    volatility: Math.sqrt(sumSq / bars),
    bbWidth: ((4 * Math.sqrt(variance)) / mean) * 100,
    rangeLog: Math.log(hi / lo),
    meanTrueRange: sumTr / bars,
  };
}

/** Fraction of `values` below `x`, ties counted half: a percentile rank in [0, 1]. */
export function percentileRank(values: ArrayLike<number>, x: number): number {
  let below = 0;
  let equal = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v < x) below++;
    else if (v === x) equal++;
  }
  return (below + equal / 2) / values.length;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Base candles before a window's first candle that the evidence needs (history blocks + reference). */
export function historyCandles(params: LabelerParams): number {
  return params.historyBlocks * windowSpan(params) + 1;
}

/**
 * Evidence for the window starting at base index `start`, ranked against the `historyBlocks`
 * non-overlapping windows that end exactly where it begins. Returns undefined when the series does
 * not hold the full history before `start` or the full window after it. `shapeAt` lets a caller
 * labelling many instants reuse block shapes (overlapping histories share them).
 */
export function regimeEvidence(
  series: BaseSeries,
  start: number,
  params: LabelerParams,
  shapeAt: (start: number) => WindowShape = (i) => windowShape(series, i, params),
): RegimeEvidence | undefined {
  const span = windowSpan(params);
  if (start - historyCandles(params) < 0 || start + span > series.close.length) return undefined;
  return evidenceOfShapes(shapeAt(start), (m) => shapeAt(start - m * span), params);
}

/**
 * Evidence of a window from its shape and the shapes of the `historyBlocks` windows before it
 * (`blockAt(m)`, m = 1 is the newest): what regimeEvidence computes, for a caller that holds the
 * shapes already (the labeler view's cache) and so needs no candles at all.
 */
export function evidenceOfShapes(
  shape: WindowShape,
  blockAt: (m: number) => WindowShape,
  params: LabelerParams,
): RegimeEvidence {
  const vols: number[] = [];
  const widths: number[] = [];
  let atrSum = 0;
  for (let m = 1; m <= params.historyBlocks; m++) {
    const block = blockAt(m);
    vols.push(block.volatility);
    widths.push(block.bbWidth);
    if (m <= params.atrBlocks) atrSum += block.meanTrueRange;
  }
  const atr = atrSum / params.atrBlocks;
  const medianVol = median(vols);
  return {
    ...shape,
    volPercentile: percentileRank(vols, shape.volatility),
    volRatio: medianVol > 0 ? shape.volatility / medianVol : Number.POSITIVE_INFINITY,
    bbPercentile: percentileRank(widths, shape.bbWidth),
    atr,
    netAtr: atr > 0 ? Math.abs(shape.net) / atr : 0,
    rangeAtr: atr > 0 ? shape.rangeLog / atr : 0,
  };
}
