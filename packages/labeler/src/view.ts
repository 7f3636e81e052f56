import type { Candle } from '@regime/candles';
import {
  type BaseSeries,
  evidenceOfShapes,
  historyCandles,
  type RegimeEvidence,
  type WindowShape,
  windowShape,
  windowSpan,
} from './evidence.ts';
import { BAR_MS, BASE_INTERVAL_MS, barCloseAt } from './label-series.ts';
import type { LabelerParams } from './params.ts';
import { writeRegimeCosts } from './regime-costs.ts';
import { REGIME_COUNT, REGIMES } from './regimes.ts';

/**
 * The labeler's causal view as of T: what labeler 2 itself knows at T, from the 5m candles known at
 * T. The labels rank each 4-hour window against the pair's last 15 days; this is that ranking and
 * what the segmentation makes of it up to T's bar, so that a model can read what the labels are made
 * of instead of guessing it from 64 steps of indicators.
 *
 * - `summary`: the causal forward values V_T(s) of the segmentation (segmentation.ts) at each switching
 *   cost of VIEW_SWITCH_COSTS, shifted to a minimum of 0, and how many bars the causal state (their
 *   argmin) has held;
 * - `bars`: for each of the newest VIEW_BARS bars, its six per-bar regime costs, the evidence behind
 *   them, and its own return and true range in units of T's ATR (what will drop out of the next
 *   windows).
 *
 * The forward recursion runs over the `warmupBars` bars ending at T's bar, started afresh there, so
 * the view is a function of a fixed span of candles (`viewCandles`) whatever the length of the
 * history a caller holds: the predictor, the backtest and the dataset builder compute the same numbers.
 */

/** Switching costs λ at which the view carries the causal forward values. */
export const VIEW_SWITCH_COSTS = [1, 2, 4, 8] as const;

/** Newest bars whose per-bar rows are in the view (64 × 15 min = 16 hours). */
export const VIEW_BARS = 64;

export const VIEW_SUMMARY_NAMES: readonly string[] = Object.freeze([
  ...VIEW_SWITCH_COSTS.flatMap((lambda) => REGIMES.map((r) => `forward_l${lambda}_${r}`)),
  ...VIEW_SWITCH_COSTS.map((lambda) => `held_bars_l${lambda}`),
]);

export const VIEW_BAR_NAMES: readonly string[] = Object.freeze([
  ...REGIMES.map((r) => `cost_${r}`),
  'efficiency',
  'net_atr',
  'log_vol_ratio',
  'vol_percentile',
  'bb_percentile',
  'range_atr',
  'bar_return_atr',
  'bar_range_atr',
]);

export interface LabelerView {
  asOf: number;
  /** Close of T's bar (the newest 15-minute boundary ≤ T): the newest bar the view describes. */
  barClose: number;
  /** VIEW_SUMMARY_NAMES, in order. */
  summary: Float64Array;
  /** VIEW_BARS × VIEW_BAR_NAMES, row-major, oldest bar first. */
  bars: Float64Array;
}

export type LabelerViewErrorCode = 'gap' | 'insufficient_history';

/** The candles the view needs are not all there: a gap inside its span, or too short a history. */
export class LabelerViewError extends Error {
  constructor(
    readonly code: LabelerViewErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'LabelerViewError';
  }
}

/** 5m candles before T's bar close the view reads: evidence of `warmupBars` bars and its history. */
export function viewCandles(params: LabelerParams): number {
  return (
    (params.segmentation.warmupBars - 1) * params.baseCandlesPerBar +
    windowSpan(params) +
    historyCandles(params)
  );
}

/** What one bar contributes, cached: a function of the closed candles before its close only. */
interface BarEntry {
  evidence: RegimeEvidence;
  costs: Float64Array;
  /** Log return of the bar's close over the previous bar's close. */
  barReturn: number;
  /** Log true range of the bar (its high/low against the previous bar's close). */
  trueRange: number;
}

/**
 * Bar shapes and entries of one symbol's series, keyed by bar close. Each is computed once from a
 * contiguous span of candles and never changes (closed candles do not change), so a predictor
 * advancing one bar at a time computes one new bar's evidence instead of 17 days of it. Never share
 * one cache between symbols.
 */
export class ViewCache {
  readonly shapes = new Map<number, WindowShape>();
  readonly bars = new Map<number, BarEntry>();

  /** Forgets everything closing before `barClose` (what no view as of a later instant reads). */
  forgetBefore(barClose: number): void {
    for (const map of [this.shapes, this.bars] as const)
      for (const key of map.keys()) if (key < barClose) map.delete(key);
  }
}

/** Index of the candle opening at `openTime` in sorted candles, or -1. */
function indexOfOpen(candles: readonly Candle[], openTime: number): number {
  let lo = 0;
  let hi = candles.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const t = candles[mid]!.openTime;
    if (t === openTime) return mid;
    if (t < openTime) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

const iso = (t: number) => new Date(t).toISOString();

/**
 * The view as of `asOf` from a symbol's closed 5m candles (sorted by open time; any superset of the
 * span is fine, candles after T's bar are never read). Throws LabelerViewError when a candle of the
 * span is missing. `cache` (one per symbol) only saves work: the values are the same without it.
 */
export function labelerViewAsOf(
  candles5m: readonly Candle[],
  asOf: number,
  params: LabelerParams,
  cache: ViewCache = new ViewCache(),
): LabelerView {
  const close = barCloseAt(asOf);
  const count = viewCandles(params);
  const firstOpen = close - count * BASE_INTERVAL_MS;
  const last = indexOfOpen(candles5m, close - BASE_INTERVAL_MS);
  if (last < 0) {
    throw new LabelerViewError('gap', `the 5m candle opened at ${iso(close - BASE_INTERVAL_MS)} is missing`);
  }
  const first = last - count + 1;
  if (first < 0 || candles5m[0]!.openTime > firstOpen) {
    throw new LabelerViewError(
      'insufficient_history',
      `the labeler view needs ${count} 5m candles from ${iso(firstOpen)}; the first is ${iso(candles5m[0]!.openTime)}`,
    );
  }
  // Sorted and unique open times: the span is contiguous exactly when its first candle opens at firstOpen.
  if (candles5m[first]!.openTime !== firstOpen) {
    throw new LabelerViewError('gap', `a 5m candle between ${iso(firstOpen)} and ${iso(close)} is missing`);
  }
  const bars = params.segmentation.warmupBars;
  const per = params.baseCandlesPerBar;
  const span = windowSpan(params);
  /** Index in `candles5m` of the first candle of the window that ends at `barClose`. */
  const startOf = (barClose: number) =>
    first + (barClose - span * BASE_INTERVAL_MS - firstOpen) / BASE_INTERVAL_MS;
  // A shape reads its window and the close before it: only those candles are copied, so a view whose
  // bars are all cached but the newest reads 49 candles, not 17 days of them.
  const shapeOfBar = (barClose: number): WindowShape => {
    let shape = cache.shapes.get(barClose);
    if (!shape) {
      shape = windowShape(toSeries(candles5m, startOf(barClose) - 1, span + 1), 1, params);
      cache.shapes.set(barClose, shape);
    }
    return shape;
  };
  const entryOf = (barClose: number): BarEntry => {
    let entry = cache.bars.get(barClose);
    if (entry) return entry;
    const evidence = evidenceOfShapes(
      shapeOfBar(barClose),
      (m) => shapeOfBar(barClose - m * span * BASE_INTERVAL_MS),
      params,
    );
    const costs = new Float64Array(REGIME_COUNT);
    const seg = params.segmentation;
    writeRegimeCosts(evidence, params.thresholds, seg.scales, seg.offsets, costs, 0);
    const end = startOf(barClose) + span - 1;
    const previousClose = candles5m[end - per]!.close;
    let high = Number.NEGATIVE_INFINITY;
    let low = Number.POSITIVE_INFINITY;
    for (let k = end - per + 1; k <= end; k++) {
      if (candles5m[k]!.high > high) high = candles5m[k]!.high;
      if (candles5m[k]!.low < low) low = candles5m[k]!.low;
    }
    entry = {
      evidence,
      costs,
      barReturn: Math.log(candles5m[end]!.close / previousClose),
      trueRange: Math.log(Math.max(high, previousClose) / Math.min(low, previousClose)),
    };
    cache.bars.set(barClose, entry);
    return entry;
  };

  const entries: BarEntry[] = [];
  for (let j = bars - 1; j >= 0; j--) entries.push(entryOf(close - j * BAR_MS));
  const summary = new Float64Array(VIEW_SUMMARY_NAMES.length);
  const values = new Float64Array(REGIME_COUNT);
  VIEW_SWITCH_COSTS.forEach((lambda, l) => {
    let held = 0;
    let previous = -1;
    entries.forEach((entry, t) => {
      let min = Number.POSITIVE_INFINITY;
      for (let s = 0; s < REGIME_COUNT; s++) {
        values[s] = (t === 0 ? 0 : Math.min(values[s]!, lambda)) + entry.costs[s]!;
        if (values[s]! < min) min = values[s]!;
      }
      let argmin = 0;
      for (let s = 0; s < REGIME_COUNT; s++) {
        values[s]! -= min;
        if (values[s]! < values[argmin]!) argmin = s;
      }
      held = argmin === previous ? held + 1 : 1;
      previous = argmin;
    });
    summary.set(values, l * REGIME_COUNT);
    summary[VIEW_SWITCH_COSTS.length * REGIME_COUNT + l] = held;
  });

  const atr = entries[entries.length - 1]!.evidence.atr;
  const width = VIEW_BAR_NAMES.length;
  const rows = new Float64Array(VIEW_BARS * width);
  entries.slice(-VIEW_BARS).forEach((entry, b) => {
    const e = entry.evidence;
    const o = b * width;
    rows.set(entry.costs, o);
    rows[o + 6] = e.efficiency;
    rows[o + 7] = Math.sign(e.net) * e.netAtr;
    rows[o + 8] = Math.log(Math.max(e.volRatio, 1e-12));
    rows[o + 9] = e.volPercentile;
    rows[o + 10] = e.bbPercentile;
    rows[o + 11] = e.rangeAtr;
    rows[o + 12] = atr > 0 ? entry.barReturn / atr : 0;
    rows[o + 13] = atr > 0 ? entry.trueRange / atr : 0;
  });
  return { asOf, barClose: close, summary, bars: rows };
}

/** The span's OHLC as typed arrays (the evidence functions index them). */
function toSeries(candles: readonly Candle[], first: number, count: number): BaseSeries {
  const open = new Float64Array(count);
  const high = new Float64Array(count);
  const low = new Float64Array(count);
  const close = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const c = candles[first + i]!;
    open[i] = c.open;
    high[i] = c.high;
    low[i] = c.low;
    close[i] = c.close;
  }
  return { open, high, low, close };
}
