import type { Candle } from '@regime/candles';
import {
  type BaseSeries,
  classifyRegime,
  historyCandles,
  type LabelerParams,
  regimeEvidence,
  type WindowShape,
  windowShape,
  windowSpan,
} from './labeler.ts';
import type { Regime } from './regimes.ts';

/** Length of a base (5m) candle: the labeler's bars are built from these. */
export const BASE_INTERVAL_MS = 300_000;

/** Labels of one as-of instant: what happens next (the target) and what just happened (persistence). */
export interface InstantLabels {
  forward: Regime;
  backward: Regime;
}

/**
 * Labels as-of instants from a sorted base-candle series that may contain gaps. An instant is
 * labelled only when every base candle its forward label, its backward label and their trailing
 * histories need is present: nothing is bridged across a gap.
 */
export class SeriesLabeler {
  private readonly series: BaseSeries;
  private readonly openTimes: Float64Array;
  private readonly shapes = new Map<number, WindowShape>();

  constructor(
    candles: readonly Candle[],
    private readonly params: LabelerParams,
  ) {
    const n = candles.length;
    this.openTimes = new Float64Array(n);
    const open = new Float64Array(n);
    const high = new Float64Array(n);
    const low = new Float64Array(n);
    const close = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const c = candles[i]!;
      if (i > 0 && c.openTime <= candles[i - 1]!.openTime) {
        throw new Error(
          `base candles must be sorted and unique: ${c.openTime} follows ${candles[i - 1]!.openTime}`,
        );
      }
      this.openTimes[i] = c.openTime;
      open[i] = c.open;
      high[i] = c.high;
      low[i] = c.low;
      close[i] = c.close;
    }
    this.series = { open, high, low, close };
  }

  /** Index of the base candle opening at `t`, or -1. */
  private indexAt(t: number): number {
    let lo = 0;
    let hi = this.openTimes.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const v = this.openTimes[mid]!;
      if (v === t) return mid;
      if (v < t) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  /** True when indices first..last exist and hold consecutive base candles. */
  private contiguous(first: number, last: number): boolean {
    if (first < 0 || last >= this.openTimes.length) return false;
    return this.openTimes[last]! - this.openTimes[first]! === (last - first) * BASE_INTERVAL_MS;
  }

  private shapeAt = (start: number): WindowShape => {
    let shape = this.shapes.get(start);
    if (!shape) {
      shape = windowShape(this.series, start, this.params);
      this.shapes.set(start, shape);
    }
    return shape;
  };

  /**
   * Labels of as-of instant `asOf` (a multiple of 5 minutes): the forward window starts with the base
   * candle opening at `asOf`, the backward window ends just before it. Undefined when a candle the
   * labels need is missing.
   */
  labelsAt(asOf: number): InstantLabels | undefined {
    const start = this.indexAt(asOf);
    if (start < 0) return undefined;
    const span = windowSpan(this.params);
    const backwardStart = start - span;
    if (!this.contiguous(backwardStart - historyCandles(this.params), start + span - 1)) return undefined;
    const forward = regimeEvidence(this.series, start, this.params, this.shapeAt);
    const backward = regimeEvidence(this.series, backwardStart, this.params, this.shapeAt);
    if (!forward || !backward) return undefined;
    return {
      forward: classifyRegime(forward, this.params.thresholds),
      backward: classifyRegime(backward, this.params.thresholds),
    };
  }
}
