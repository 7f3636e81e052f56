import { candleOpenAt, INTERVAL_MS, type Interval } from '@regime/candles';

/** Half-open range of candle open times: from ≤ openTime < to (epoch ms, UTC). */
export interface OpenTimeRange {
  from: number;
  to: number;
}

/** How many candles of `interval` open inside the range. */
export function candleCount(range: OpenTimeRange, interval: Interval): number {
  return Math.max(0, Math.ceil((range.to - range.from) / INTERVAL_MS[interval]));
}

/**
 * The open times a backfill of [from, to) may ask for, as of `now`: `from` rounded up to a candle
 * boundary, and `to` cut back so that only candles closed by `now` are included (a candle opened at o
 * is known at o + interval). Undefined when nothing in the period has closed yet.
 */
export function closedRange(
  interval: Interval,
  from: number,
  to: number,
  now: number,
): OpenTimeRange | undefined {
  const ms = INTERVAL_MS[interval];
  const start = Math.ceil(from / ms) * ms;
  const end = Math.min(Math.ceil(to / ms) * ms, candleOpenAt(interval, now));
  return start < end ? { from: start, to: end } : undefined;
}

/**
 * The parts of `range` not covered by `storedOpenTimes` (closed candles already in QuestDB, any order).
 * A backfill that stopped half-way has stored a prefix, so this resumes after the last stored candle;
 * holes left by earlier runs over other periods are filled too. Adjacent missing candles form one range.
 */
export function missingRanges(
  range: OpenTimeRange,
  interval: Interval,
  storedOpenTimes: readonly number[],
): OpenTimeRange[] {
  const ms = INTERVAL_MS[interval];
  const stored = storedOpenTimes.filter((t) => t >= range.from && t < range.to).sort((a, b) => a - b);
  const out: OpenTimeRange[] = [];
  let next = range.from;
  for (const t of stored) {
    if (t > next) out.push({ from: next, to: t });
    next = Math.max(next, t + ms);
  }
  if (next < range.to) out.push({ from: next, to: range.to });
  return out;
}
