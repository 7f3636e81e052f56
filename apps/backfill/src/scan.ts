import { type Candle, candleProblem, INTERVAL_MS, type Interval } from '@regime/candles';
import type { OpenTimeRange } from './plan.ts';

/** Open times the exchange returned nothing for: from ≤ openTime < to, `count` candles. */
export interface Gap {
  from: number;
  to: number;
  count: number;
}

export interface RejectedCandle {
  openTime: number;
  problem: string;
  detail: string;
}

export interface ScanResult {
  /** Candles to write: in range, in order, first occurrence of each open time, valid. */
  accepted: Candle[];
  /** Repeats of an open time already seen, or older than it (the exchange sent them out of order). */
  duplicates: number;
  /** Open times outside the requested range. */
  outOfRange: number;
  rejected: RejectedCandle[];
}

/**
 * Follows the pages the exchange returns for one range and notes what is wrong with them: missing
 * open times (gaps the exchange itself has), repeats, candles outside the range and invalid candles.
 * Pure: feed it pages with `accept`, then call `finish` once the source is exhausted.
 */
export class RangeScanner {
  private readonly ms: number;
  private next: number;
  private readonly foundGaps: Gap[] = [];

  constructor(
    private readonly interval: Interval,
    private readonly range: OpenTimeRange,
  ) {
    this.ms = INTERVAL_MS[interval];
    this.next = range.from;
  }

  accept(candles: readonly Candle[]): ScanResult {
    const result: ScanResult = { accepted: [], duplicates: 0, outOfRange: 0, rejected: [] };
    for (const candle of candles) {
      if (candle.openTime < this.range.from || candle.openTime >= this.range.to) {
        result.outOfRange++;
        continue;
      }
      if (candle.openTime < this.next) {
        result.duplicates++;
        continue;
      }
      const problem = candleProblem(candle, this.interval);
      // A misaligned open time names no candle slot, so it cannot close or open a gap.
      if (problem?.problem !== 'misaligned_open_time') {
        this.noteGap(candle.openTime);
        this.next = candle.openTime + this.ms;
      }
      // An invalid candle is not a gap in the exchange's data: it is reported as rejected instead.
      if (problem) result.rejected.push({ openTime: candle.openTime, ...problem });
      else result.accepted.push(candle);
    }
    return result;
  }

  /** Call once the source has returned everything for the range; returns every gap found. */
  finish(): Gap[] {
    this.noteGap(this.range.to);
    this.next = this.range.to;
    return this.foundGaps;
  }

  /** The open time up to which the range has been covered (for progress). */
  get coveredUntil(): number {
    return this.next;
  }

  private noteGap(until: number): void {
    if (until > this.next) {
      this.foundGaps.push({ from: this.next, to: until, count: Math.round((until - this.next) / this.ms) });
    }
  }
}
