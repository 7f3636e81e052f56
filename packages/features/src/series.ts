import type { Candle, Interval } from '@regime/candles';
import { IncrementalFeatures } from './engine.ts';
import { type PreparedSeries, prepareSeries } from './history.ts';
import { FEATURE_COUNT } from './names.ts';

/** A peek to perform right after committing candle `afterIndex`: its 12 features go to out[offset…]. */
export interface PendingPeek {
  afterIndex: number;
  candle: Candle;
  out: Float64Array;
  offset: number;
}

/**
 * The 12 features of candles keepFrom..to (inclusive) of a prepared series, row-major (row 0 = candle
 * `keepFrom`), computed by streaming candles from..to. The engine restarts at every gap (and at `from`),
 * so a row depends only on the gap-free run of candles ending at it, starting no earlier than `from`.
 * Rows before `keepFrom` (warm-up) are computed but not kept. `peeks` must be sorted by afterIndex.
 */
export function computeSeries(
  series: PreparedSeries,
  from: number,
  to: number,
  peeks: readonly PendingPeek[] = [],
  keepFrom = from,
): Float64Array {
  const values = new Float64Array(Math.max(0, to - keepFrom + 1) * FEATURE_COUNT);
  const scratch = new Float64Array(FEATURE_COUNT);
  const engine = new IncrementalFeatures(series.interval);
  let p = 0;
  while (p < peeks.length && peeks[p]!.afterIndex < from) p++;
  for (let i = from; i <= to; i++) {
    if (i > from && series.runLength[i] === 1) engine.reset();
    if (i < keepFrom) engine.updateTrusted(series.candles[i]!, scratch, 0);
    else engine.updateTrusted(series.candles[i]!, values, (i - keepFrom) * FEATURE_COUNT);
    while (p < peeks.length && peeks[p]!.afterIndex === i) {
      const peek = peeks[p++]!;
      engine.peek(peek.candle, peek.out, peek.offset);
    }
  }
  return values;
}

export interface FeatureSeries {
  interval: Interval;
  openTimes: Float64Array;
  /** candles × 12, row-major, in FEATURES order; NaN where an indicator has not started yet. */
  values: Float64Array;
}

/** Batch features of every candle of one interval (indicators restart after each gap). */
export function featureSeries(candles: readonly Candle[], interval: Interval): FeatureSeries {
  const prepared = prepareSeries(candles, interval);
  return { interval, openTimes: prepared.openTimes, values: computeSeries(prepared, 0, candles.length - 1) };
}
