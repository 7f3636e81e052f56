import type { Candle } from '@regime/candles';
import { historyCandles, windowSpan } from './evidence.ts';
import { BAR_MS, BASE_INTERVAL_MS, barCloseAt, SeriesLabeler } from './label-series.ts';
import type { LabelerParams } from './params.ts';
import type { Regime } from './regimes.ts';

/**
 * The realised ("settled") regime of one as-of instant T, as the live scorer records it.
 *
 * Labeler 2 labels T with the regime of T's segment in a segmentation of all the data; near "now"
 * that segmentation is provisional (a later bar can move the last switch). Here the segmentation is
 * run on a window of 5m candles that depends on T only:
 *
 *   [barCloseAt(T) − warm-up − (history + window) 5m candles,  barCloseAt(T) + settleBars bars)
 *
 * so that (1) T's bar has its full evidence and `warmupBars` bars of segmentation before it, (2) the
 * segmentation has `settleBars` bars after it (6 hours: after that a label changes in < 1 % of
 * cases, docs/ARCHITECTURE.md "Settling"), and (3) recomputing the outcome of T later, from the same
 * candles, gives the same regime: nothing newer than the window is ever read.
 */

/** Open times of the 5m candles the settled label of T is computed from: [fromOpenTime, toOpenTime). */
export interface SettleWindow {
  fromOpenTime: number;
  /** Exclusive. The last candle of the window opens at toOpenTime − 5m and closes at toOpenTime. */
  toOpenTime: number;
  /** When the last candle of the window has closed: the outcome of T can be computed from then on. */
  settledAt: number;
  /** Number of 5m candles in a complete window. */
  candles: number;
}

export function settleWindow(asOf: number, params: LabelerParams): SettleWindow {
  if (!Number.isSafeInteger(asOf)) throw new Error(`as-of instant ${asOf} is not an integer epoch-ms`);
  const close = barCloseAt(asOf);
  const seg = params.segmentation;
  const fromOpenTime =
    close - seg.warmupBars * BAR_MS - (historyCandles(params) + windowSpan(params)) * BASE_INTERVAL_MS;
  const toOpenTime = close + seg.settleBars * BAR_MS;
  return {
    fromOpenTime,
    toOpenTime,
    settledAt: toOpenTime,
    candles: (toOpenTime - fromOpenTime) / BASE_INTERVAL_MS,
  };
}

/** The settled regime of T, or why there is none. */
export type SettledLabel =
  | { kind: 'settled'; regime: Regime; settledAt: number }
  | {
      kind: 'missing_candles';
      settledAt: number;
      /** 5m candles of the window that are absent from the input. */
      missing: number;
      /** Open time of the first absent candle. */
      firstMissing: number;
      detail: string;
    };

/**
 * The settled regime of `asOf` from a symbol's 5m candles (sorted by open time, closed candles
 * only). Candles outside `settleWindow(asOf)` are ignored, so any superset of the window gives the
 * same answer. With a candle of the window absent (an exchange gap, or T + settle not reached yet)
 * there is no regime: the result says how many candles are missing and where the first one is.
 */
export function settledLabel(
  candles5m: readonly Candle[],
  asOf: number,
  params: LabelerParams,
): SettledLabel {
  const window = settleWindow(asOf, params);
  const inWindow = sliceByOpenTime(candles5m, window.fromOpenTime, window.toOpenTime);
  let expected = window.fromOpenTime;
  let missing = 0;
  let firstMissing = -1;
  for (const c of inWindow) {
    if (c.openTime % BASE_INTERVAL_MS !== 0) {
      throw new Error(
        `5m candle open time ${new Date(c.openTime).toISOString()} is not on a 5-minute boundary`,
      );
    }
    if (c.openTime > expected) {
      if (firstMissing < 0) firstMissing = expected;
      missing += (c.openTime - expected) / BASE_INTERVAL_MS;
    }
    expected = c.openTime + BASE_INTERVAL_MS;
  }
  if (expected < window.toOpenTime) {
    if (firstMissing < 0) firstMissing = expected;
    missing += (window.toOpenTime - expected) / BASE_INTERVAL_MS;
  }
  if (missing > 0) {
    return {
      kind: 'missing_candles',
      settledAt: window.settledAt,
      missing,
      firstMissing,
      detail:
        `${missing} of the ${window.candles} 5m candles from ${iso(window.fromOpenTime)} to ` +
        `${iso(window.toOpenTime)} are missing (first: ${iso(firstMissing)})`,
    };
  }
  const labels = new SeriesLabeler(inWindow, params).labelsAt(asOf);
  // A complete window always yields a label (its bounds are exactly warm-up … settle): anything else
  // is a contradiction between this file and label-series.ts, not a data problem.
  if (labels === 'gap' || labels === 'unsettled') {
    throw new Error(`settled label of ${iso(asOf)}: a complete window gave "${labels}"`);
  }
  return { kind: 'settled', regime: labels.label, settledAt: window.settledAt };
}

/** Candles with open time in [from, to): binary search on the sorted input, sortedness checked. */
function sliceByOpenTime(candles: readonly Candle[], from: number, to: number): Candle[] {
  const lowerBound = (t: number) => {
    let lo = 0;
    let hi = candles.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (candles[mid]!.openTime < t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  const slice = candles.slice(lowerBound(from), lowerBound(to));
  for (let i = 1; i < slice.length; i++) {
    if (slice[i]!.openTime <= slice[i - 1]!.openTime) {
      throw new Error(
        `5m candles must be sorted and unique: ${iso(slice[i]!.openTime)} follows ${iso(slice[i - 1]!.openTime)}`,
      );
    }
  }
  return slice;
}

const iso = (ms: number) => new Date(ms).toISOString();
