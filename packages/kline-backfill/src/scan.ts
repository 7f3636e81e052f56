import { type Candle, candleProblem, INTERVAL_MS, type Interval } from '@regime/candles';
import type { OpenTimeRange } from './plan.ts';

/** Open times the exchange returned nothing for: from ≤ openTime < to, `count` candles. */
export interface Gap {
  from: number;
  to: number;
  count: number;
}

export interface RejectedCandle {
  /** Undefined when the source could not even read the row's open time. */
  openTime?: number;
  problem: string;
  detail: string;
}

/** A row the source refused before it became a candle (e.g. a REST row with a "NaN" price). */
export type RejectedRow = RejectedCandle;

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

  /**
   * One page: its sound candles and the rows the source refused. A refused row that names a slot
   * of the range takes that slot (it is reported as rejected, not as a gap in the exchange's data).
   */
  accept(candles: readonly Candle[], refused: readonly RejectedRow[] = []): ScanResult {
    const result: ScanResult = { accepted: [], duplicates: 0, outOfRange: 0, rejected: [] };
    type Item = { candle: Candle; row?: undefined } | { row: RejectedRow; candle?: undefined };
    const items: Item[] = candles.map((candle) => ({ candle }));
    for (const row of refused) {
      if (row.openTime === undefined) result.rejected.push(row);
      else items.push({ row });
    }
    // By slot, stable: the source's order is kept within a slot (a misaligned row before its slot's candle).
    const slot = (item: Item) => Math.floor((item.candle ?? item.row)!.openTime! / this.ms);
    items.sort((a, b) => slot(a) - slot(b));
    for (const item of items) {
      const openTime = item.candle ? item.candle.openTime : item.row.openTime!;
      if (openTime < this.range.from || openTime >= this.range.to) {
        result.outOfRange++;
        continue;
      }
      if (openTime < this.next) {
        result.duplicates++;
        continue;
      }
      const problem = item.candle ? candleProblem(item.candle, this.interval) : item.row;
      const misaligned = problem?.problem === 'misaligned_open_time' || openTime % this.ms !== 0;
      // A misaligned open time names no candle slot, so it cannot close or open a gap.
      if (!misaligned) {
        this.noteGap(openTime);
        this.next = openTime + this.ms;
      }
      // An invalid candle is not a gap in the exchange's data: it is reported as rejected instead.
      if (problem) result.rejected.push({ openTime, problem: problem.problem, detail: problem.detail });
      else result.accepted.push(item.candle!);
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
