import type { Candle } from '@regime/candles';
import {
  type BaseSeries,
  historyCandles,
  type RegimeEvidence,
  regimeEvidence,
  type WindowShape,
  windowShape,
  windowSpan,
} from './evidence.ts';
import type { LabelerParams } from './params.ts';
import { writeRegimeCosts } from './regime-costs.ts';
import { REGIME_COUNT, REGIMES, type Regime } from './regimes.ts';
import { classifyRegime } from './rules.ts';
import { filterStates, segmentStates } from './segmentation.ts';

/** Length of a base (5m) candle: the labeler's bars are built from these. */
export const BASE_INTERVAL_MS = 300_000;
/** Length of a labeler bar (15m, aligned to the clock like the exchange's 15m candles). */
export const BAR_MS = 900_000;

/** The close of the labeler bar an as-of instant T belongs to: the newest 15-minute boundary ≤ T. */
export function barCloseAt(asOf: number): number {
  return Math.floor(asOf / BAR_MS) * BAR_MS;
}

/** What the labeler says of one as-of instant. */
export interface InstantLabels {
  /** The target: the regime of the segment holding T's bar in the segmentation of all the data. */
  label: Regime;
  /** Causal segmentation: the last state of the segmentation of the bars up to T's bar only. */
  causal: Regime;
  /** Today's trailing-window rules (labeler 1's rules on the 4 hours ending at T's bar). */
  rules: Regime;
}

/** Why an instant has no labels: every skipped instant is counted under one of these. */
export type LabelSkip = 'gap' | 'unsettled';

/** A maximal run of consecutive bars that all have evidence: segmented on its own. */
interface Run {
  /** First and one-past-last bar index. */
  from: number;
  to: number;
}

/**
 * Labeler 2 on one symbol's base-candle (5m) series, which may contain gaps. Bars are the clock's
 * 15-minute periods; a bar has evidence when every base candle of its trailing window and the
 * window's history is present. Each maximal run of bars with evidence is segmented on its own:
 * nothing is bridged across a missing candle.
 */
export class SeriesLabeler {
  /** Close time of each bar with evidence, ascending. */
  readonly barClose: Float64Array;
  /** Log return of each bar (its close over the previous bar's close). */
  readonly barReturn: Float64Array;
  readonly evidence: readonly RegimeEvidence[];
  /** Per-bar costs, bars × 6 (REGIMES order). */
  readonly costs: Float64Array;
  /** Segmentation state of each bar (the target). */
  readonly segment: Uint8Array;
  /** Causal state of each bar. */
  readonly causal: Uint8Array;
  /** Rules' regime of each bar's trailing window. */
  readonly rules: Uint8Array;
  private readonly runOf: Int32Array;
  private readonly runs: Run[] = [];

  constructor(
    candles: readonly Candle[],
    private readonly params: LabelerParams,
  ) {
    const { series, openTimes } = toBaseSeries(candles);
    const span = windowSpan(params);
    const history = historyCandles(params);
    const barMs = params.baseCandlesPerBar * BASE_INTERVAL_MS;
    if (barMs !== BAR_MS) throw new Error(`a bar must be 15 minutes, got ${barMs / 60_000}`);
    const shapes = new Map<number, WindowShape>();
    const shapeAt = (start: number): WindowShape => {
      let shape = shapes.get(start);
      if (!shape) {
        shape = windowShape(series, start, params);
        shapes.set(start, shape);
      }
      return shape;
    };
    const indexOf = indexer(openTimes);
    const closes: number[] = [];
    const returns: number[] = [];
    const evidence: RegimeEvidence[] = [];
    const runOf: number[] = [];
    let runStart = -1;
    const n = openTimes.length;
    const first = n > 0 ? Math.ceil(openTimes[0]! / BAR_MS) * BAR_MS : 0;
    const last = n > 0 ? openTimes[n - 1]! + BASE_INTERVAL_MS : -1;
    for (let close = first; close <= last; close += BAR_MS) {
      const start = indexOf(close - span * BASE_INTERVAL_MS);
      const end = indexOf(close - BASE_INTERVAL_MS);
      const contiguous =
        start >= history &&
        end >= 0 &&
        openTimes[end]! - openTimes[start - history]! === (end - start + history) * BASE_INTERVAL_MS;
      const e = contiguous ? regimeEvidence(series, start, params, shapeAt) : undefined;
      if (e) {
        if (runStart < 0) runStart = evidence.length;
        closes.push(close);
        returns.push(Math.log(series.close[end]! / series.close[end - params.baseCandlesPerBar]!));
        evidence.push(e);
        runOf.push(this.runs.length);
      } else if (runStart >= 0) {
        this.runs.push({ from: runStart, to: evidence.length });
        runStart = -1;
      }
    }
    if (runStart >= 0) this.runs.push({ from: runStart, to: evidence.length });
    this.barClose = Float64Array.from(closes);
    this.barReturn = Float64Array.from(returns);
    this.evidence = evidence;
    this.runOf = Int32Array.from(runOf);
    const bars = evidence.length;
    const seg = params.segmentation;
    this.costs = new Float64Array(bars * REGIME_COUNT);
    this.rules = new Uint8Array(bars);
    evidence.forEach((e, i) => {
      writeRegimeCosts(e, params.thresholds, seg.scales, seg.offsets, this.costs, i * REGIME_COUNT);
      this.rules[i] = REGIMES.indexOf(classifyRegime(e, params.thresholds));
    });
    this.segment = new Uint8Array(bars);
    this.causal = new Uint8Array(bars);
    for (const run of this.runs) {
      const matrix = {
        costs: this.costs.subarray(run.from * REGIME_COUNT, run.to * REGIME_COUNT),
        states: REGIME_COUNT,
      };
      this.segment.set(segmentStates(matrix, seg.switchCost), run.from);
      this.causal.set(filterStates(matrix, seg.switchCost), run.from);
    }
  }

  /** Index of the bar closing at `close`, or -1 when that bar has no evidence. */
  barIndex(close: number): number {
    return indexer(this.barClose)(close);
  }

  /** The labels of as-of instant T, or why it has none. */
  labelsAt(asOf: number): InstantLabels | LabelSkip {
    const i = this.barIndex(barCloseAt(asOf));
    if (i < 0) return 'gap';
    const run = this.runs[this.runOf[i]!]!;
    // The causal state must not depend on where the data happened to start.
    if (i - run.from < this.params.segmentation.warmupBars) return 'gap';
    if (run.to - 1 - i < this.params.segmentation.settleBars) return 'unsettled';
    return {
      label: REGIMES[this.segment[i]!]!,
      causal: REGIMES[this.causal[i]!]!,
      rules: REGIMES[this.rules[i]!]!,
    };
  }

  /** The maximal runs of consecutive bars with evidence (bar index ranges, end exclusive). */
  barRuns(): readonly { from: number; to: number }[] {
    return this.runs;
  }
}

function toBaseSeries(candles: readonly Candle[]): { series: BaseSeries; openTimes: Float64Array } {
  const n = candles.length;
  const openTimes = new Float64Array(n);
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
    openTimes[i] = c.openTime;
    open[i] = c.open;
    high[i] = c.high;
    low[i] = c.low;
    close[i] = c.close;
  }
  return { series: { open, high, low, close }, openTimes };
}

/** Index of the value `t` in a sorted array, or -1 (binary search). */
function indexer(openTimes: Float64Array): (t: number) => number {
  return (t) => {
    let lo = 0;
    let hi = openTimes.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const v = openTimes[mid]!;
      if (v === t) return mid;
      if (v < t) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  };
}
