import { type Candle, closesAt, INTERVAL_MS, type Interval } from '@regime/candles';
import { FeatureError, MAX_LISTED_MISSING } from './errors.ts';
import { unsoundCandle } from './sound.ts';

const iso = (t: number) => new Date(t).toISOString();

/**
 * The candles of one interval a computation may use, checked once: valid, strictly ascending.
 * `runLength[i]` counts the gap-free candles ending at i: indicators restart after every gap.
 */
export interface PreparedSeries {
  interval: Interval;
  candles: readonly Candle[];
  openTimes: Float64Array;
  runLength: Int32Array;
}

function invalid(interval: Interval, c: Candle, detail: string): FeatureError {
  return new FeatureError('invalid_candle', `invalid ${interval} candle at ${iso(c.openTime)}: ${detail}`, {
    interval,
  });
}

/** True when a history candle counts as closed at `asOf`: closed by time, and not flagged in progress. */
export function isClosedAt(c: Candle, interval: Interval, asOf: number): boolean {
  return closesAt(interval, c.openTime) <= asOf && c.closed !== false;
}

/**
 * The closed prefix of a history at `asOf`. Scanning stops at the first candle not closed at `asOf`:
 * the history is ascending, so nothing after it is closed either, and candles after T are never read
 * (whatever they hold cannot change or break a window as of T).
 */
export function closedPrefix(candles: readonly Candle[], interval: Interval, asOf: number): Candle[] {
  const out: Candle[] = [];
  for (const c of candles) {
    if (!isClosedAt(c, interval, asOf)) break;
    out.push(c);
  }
  return out;
}

/** Validates and indexes candles (all of them must be usable). */
export function prepareSeries(candles: readonly Candle[], interval: Interval): PreparedSeries {
  const step = INTERVAL_MS[interval];
  const n = candles.length;
  const openTimes = new Float64Array(n);
  const runLength = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = candles[i]!;
    const problem = unsoundCandle(c, interval, step);
    if (problem) throw invalid(interval, c, problem);
    if (c.closed === false) throw invalid(interval, c, 'flagged as not closed');
    openTimes[i] = c.openTime;
    if (i > 0) {
      const prev = openTimes[i - 1]!;
      if (c.openTime <= prev) {
        throw new FeatureError(
          'unsorted',
          `${interval} candles out of order or duplicated: ${iso(c.openTime)} after ${iso(prev)}`,
          { interval },
        );
      }
      runLength[i] = c.openTime === prev + step ? runLength[i - 1]! + 1 : 1;
    } else {
      runLength[i] = 1;
    }
  }
  return { interval, candles, openTimes, runLength };
}

/** Index of the candle opened at `openTime`, or −1. */
export function indexOfOpen(series: PreparedSeries, openTime: number): number {
  const t = series.openTimes;
  let lo = 0;
  let hi = t.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const v = t[mid]!;
    if (v === openTime) return mid;
    if (v < openTime) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

/** Index of the last candle opened before `openTime`, or −1. */
function indexBefore(series: PreparedSeries, openTime: number): number {
  const t = series.openTimes;
  let lo = 0;
  let hi = t.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (t[mid]! < openTime) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

function gapError(interval: Interval, from: number, to: number, step: number, context: string): FeatureError {
  const missingCount = (to - from) / step + 1;
  const missing: number[] = [];
  for (let t = from; t <= to && missing.length < MAX_LISTED_MISSING; t += step) missing.push(t);
  const listed = missing.map(iso).join(', ');
  const more = missingCount > missing.length ? ` and ${missingCount - missing.length} more` : '';
  return new FeatureError(
    'gap',
    `${missingCount} ${interval} candle(s) missing ${context}: ${listed}${more}; a window never bridges a gap`,
    { interval, missing, missingCount },
  );
}

/**
 * Requires `needed` gap-free candles ending with the one opened at `newestOpen`; returns its index.
 * Throws `gap` (with the missing open times inside the needed range) or `insufficient_history`.
 */
export function requireRun(series: PreparedSeries, newestOpen: number, needed: number, asOf: number): number {
  const { interval } = series;
  const step = INTERVAL_MS[interval];
  const rangeStart = newestOpen - (needed - 1) * step;
  const context = `in the ${needed} needed before ${iso(asOf)}`;
  const idx = indexOfOpen(series, newestOpen);
  if (idx < 0) {
    const before = indexBefore(series, newestOpen);
    if (before < 0) {
      throw new FeatureError(
        'insufficient_history',
        `no ${interval} candle up to ${iso(newestOpen)}: a window as of ${iso(asOf)} needs ${needed} closed ${interval} candles, got 0`,
        { interval, needed, got: 0 },
      );
    }
    const from = Math.max(series.openTimes[before]! + step, rangeStart);
    throw gapError(interval, from, newestOpen, step, context);
  }
  const run = series.runLength[idx]!;
  if (run >= needed) return idx;
  const runStart = idx - run + 1;
  if (runStart === 0) {
    throw new FeatureError(
      'insufficient_history',
      `a window as of ${iso(asOf)} needs ${needed} consecutive closed ${interval} candles up to ${iso(newestOpen)}, got ${run}`,
      { interval, needed, got: run },
    );
  }
  const from = Math.max(series.openTimes[runStart - 1]! + step, rangeStart);
  throw gapError(interval, from, series.openTimes[runStart]! - step, step, context);
}
