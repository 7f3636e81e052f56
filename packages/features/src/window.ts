import { type Candle, candleOpenAt, closesAt, INTERVAL_MS, type Interval } from '@regime/candles';
import { aggregateCandles } from './aggregate.ts';
import { FeatureError } from './errors.ts';
import {
  closedPrefix,
  indexOfOpen,
  isClosedAt,
  type PreparedSeries,
  prepareSeries,
  requireRun,
} from './history.ts';
import { FEATURE_COUNT, FEATURE_NAMES, WINDOW_INTERVALS, WINDOW_STEPS } from './names.ts';
import { computeSeries, type PendingPeek } from './series.ts';
import { assertSteps, INDICATOR_WARMUP } from './warmup.ts';

/** Closed candles, ascending by open time. Candles not closed at the as-of instant are ignored. */
export interface CandleHistory {
  '5m': readonly Candle[];
  '15m': readonly Candle[];
  '1h': readonly Candle[];
}

/** The exchange's in-progress candles (live mode). */
export interface LiveCandles {
  '5m'?: Candle;
  '15m'?: Candle;
  '1h'?: Candle;
}

export interface WindowOptions {
  steps?: number;
  live?: LiveCandles;
}

export interface BatchWindowOptions {
  steps?: number;
  /** 'throw' (default): the first FeatureError aborts. 'skip': as-of instants whose window fails are left out. */
  onError?: 'throw' | 'skip';
  /** With onError 'skip': told about each left-out instant and why (the error featureWindow would throw). */
  onSkip?: (asOf: number, error: FeatureError) => void;
}

export interface FeatureWindow {
  asOf: number;
  steps: number;
  featureNames: readonly string[];
  /** steps × 36, row-major, oldest step first. */
  values: Float64Array;
  /** The end instant of each step: min(asOf, close instant of its 15m candle). */
  stepEnds: number[];
}

const MS_15M = INTERVAL_MS['15m'];
const ROW = FEATURE_COUNT * WINDOW_INTERVALS.length;

/** Where each part of a window comes from; depends only on T, steps and whether there is a partial step. */
interface WindowPlan {
  asOf: number;
  steps: number;
  /** Open time of the in-progress 15m candle the newest step is built from, or NaN. */
  partialOpen: number;
  /** Closed 5m candles inside the partial period (they build the partial unless live 15m is used). */
  partialParts: number;
  closedRows: number;
  stepEnds: number[];
  newest: Record<'5m' | '15m' | '1h', { open: number; needed: number }>;
}

function newestClosedOpen(interval: Interval, end: number): number {
  return candleOpenAt(interval, end) - INTERVAL_MS[interval];
}

function planWindow(asOf: number, steps: number, liveInProgress: boolean): WindowPlan {
  const periodOpen = candleOpenAt('15m', asOf);
  const partialParts = Math.floor((asOf - periodOpen) / INTERVAL_MS['5m']);
  const hasPartial = periodOpen !== asOf && (partialParts > 0 || liveInProgress);
  // At a 15m close (T = periodOpen) and when the partial step exists, the newest closed 15m candle is the same one.
  const newestClosed15 = periodOpen - MS_15M;
  const closedRows = hasPartial ? steps - 1 : steps;
  const stepEnds: number[] = [];
  for (let j = closedRows - 1; j >= 0; j--) stepEnds.push(newestClosed15 - j * MS_15M + MS_15M);
  if (hasPartial) stepEnds.push(asOf);
  const oldestEnd = stepEnds[0]!;
  const newestEnd = stepEnds[stepEnds.length - 1]!;
  const context = (interval: '5m' | '1h') => {
    const open = newestClosedOpen(interval, newestEnd);
    const span = (open - newestClosedOpen(interval, oldestEnd)) / INTERVAL_MS[interval] + 1;
    return { open, needed: INDICATOR_WARMUP + span };
  };
  return {
    asOf,
    steps,
    partialOpen: hasPartial ? periodOpen : Number.NaN,
    partialParts: hasPartial ? partialParts : 0,
    closedRows,
    stepEnds,
    newest: {
      '15m': { open: newestClosed15, needed: INDICATOR_WARMUP + closedRows },
      '5m': context('5m'),
      '1h': context('1h'),
    },
  };
}

/** Checks every interval's needed range; returns the index of each newest needed candle. */
function checkPlan(plan: WindowPlan, series: Record<'5m' | '15m' | '1h', PreparedSeries>) {
  return {
    '15m': requireRun(series['15m'], plan.newest['15m'].open, plan.newest['15m'].needed, plan.asOf),
    '5m': requireRun(series['5m'], plan.newest['5m'].open, plan.newest['5m'].needed, plan.asOf),
    '1h': requireRun(series['1h'], plan.newest['1h'].open, plan.newest['1h'].needed, plan.asOf),
  };
}

type Indices = ReturnType<typeof checkPlan>;

/** The closed 5m parts of the partial step (contiguous: checkPlan has verified the 5m range). */
function partialParts(plan: WindowPlan, fives: PreparedSeries): Candle[] {
  if (plan.partialParts === 0) return [];
  const first = indexOfOpen(fives, plan.partialOpen);
  return fives.candles.slice(first, first + plan.partialParts) as Candle[];
}

/** Copies 12 features from row `row` of `from` to `to` at `at` (plain loop: no subarray allocations). */
function copyRow(from: Float64Array, row: number, to: Float64Array, at: number): void {
  const base = row * FEATURE_COUNT;
  for (let j = 0; j < FEATURE_COUNT; j++) to[at + j] = from[base + j]!;
}

/** Copies rows into the window: 15m rows, then each step's 5m and 1h context. Hot in the batch path. */
function assemble(
  plan: WindowPlan,
  idx: Indices,
  rows: Record<'5m' | '15m' | '1h', { values: Float64Array; from: number }>,
  partialRow: Float64Array | undefined,
): FeatureWindow {
  const { steps, stepEnds, closedRows } = plan;
  const values = new Float64Array(steps * ROW);
  const rows15 = rows['15m'].values;
  const rows5 = rows['5m'].values;
  const rows1h = rows['1h'].values;
  const oldest15 = idx['15m'] - closedRows + 1 - rows['15m'].from;
  const ms5 = INTERVAL_MS['5m'];
  const ms1h = INTERVAL_MS['1h'];
  // Row of the newest context candle, and its open time: a step ending at `end` uses the row
  // (open time of the newest candle closed by `end` − newest open)/interval rows further back.
  const newest5 = idx['5m'] - rows['5m'].from;
  const newest5Open = plan.newest['5m'].open;
  const newest1h = idx['1h'] - rows['1h'].from;
  const newest1hOpen = plan.newest['1h'].open;
  for (let s = 0; s < steps; s++) {
    const base = s * ROW;
    if (s < closedRows) copyRow(rows15, oldest15 + s, values, base);
    else copyRow(partialRow!, 0, values, base);
    const end = stepEnds[s]!;
    copyRow(rows5, newest5 - (newest5Open - (end - (end % ms5) - ms5)) / ms5, values, base + FEATURE_COUNT);
    copyRow(
      rows1h,
      newest1h - (newest1hOpen - (end - (end % ms1h) - ms1h)) / ms1h,
      values,
      base + 2 * FEATURE_COUNT,
    );
  }
  return { asOf: plan.asOf, steps, featureNames: FEATURE_NAMES, values, stepEnds };
}

function assertAsOf(asOf: number): void {
  if (!Number.isSafeInteger(asOf)) throw new RangeError(`asOf must be epoch milliseconds, got ${asOf}`);
}

/** A live candle in progress at T: opened before T, closing after T. */
function inProgress(c: Candle | undefined, interval: Interval, asOf: number): Candle | undefined {
  if (!c) return undefined;
  return c.openTime < asOf && closesAt(interval, c.openTime) > asOf ? c : undefined;
}

/**
 * History closed at T, plus a live candle that has already closed at T but is not in the history yet
 * (the collector may not have written the final candle when a live job runs right after a close).
 */
function closedWithLive(
  history: readonly Candle[],
  interval: Interval,
  asOf: number,
  live?: Candle,
): Candle[] {
  const closed = closedPrefix(history, interval, asOf);
  if (live && isClosedAt(live, interval, asOf)) {
    const last = closed[closed.length - 1];
    if (!last || last.openTime < live.openTime) closed.push(live);
  }
  return closed;
}

/**
 * The steps × 36 feature matrix as of instant T (see README: as-of rules).
 *
 * Newest step: the 15m candle in progress at T, built from the closed 5m candles of its period (at a
 * 15m close, the candle that just closed); older steps are closed 15m candles. Each step's 5m and 1h
 * columns are the features of the newest candle of that interval closed by the step's end.
 * Live mode: `options.live` gives in-progress candles; the live 15m (else closed 5m + live 5m) becomes
 * the newest step. 5m and 1h context always comes from closed candles.
 */
export function featureWindow(
  history: CandleHistory,
  asOf: number,
  options: WindowOptions = {},
): FeatureWindow {
  const steps = options.steps ?? WINDOW_STEPS;
  assertSteps(steps);
  assertAsOf(asOf);
  const live = options.live ?? {};
  const live15 = inProgress(live['15m'], '15m', asOf);
  const live5 = inProgress(live['5m'], '5m', asOf);
  const series = {
    '15m': prepareSeries(closedWithLive(history['15m'], '15m', asOf, live['15m']), '15m'),
    '5m': prepareSeries(closedWithLive(history['5m'], '5m', asOf, live['5m']), '5m'),
    '1h': prepareSeries(closedWithLive(history['1h'], '1h', asOf, live['1h']), '1h'),
  };
  const periodOpen = candleOpenAt('15m', asOf);
  const liveUsable =
    (live15 !== undefined && live15.openTime === periodOpen) ||
    (live5 !== undefined && candleOpenAt('15m', live5.openTime) === periodOpen);
  const plan = planWindow(asOf, steps, liveUsable);
  const idx = checkPlan(plan, series);

  let partial: Candle | undefined;
  if (!Number.isNaN(plan.partialOpen)) {
    if (live15 && live15.openTime === plan.partialOpen) partial = live15;
    else {
      const parts = partialParts(plan, series['5m']);
      if (live5 && candleOpenAt('15m', live5.openTime) === plan.partialOpen) parts.push(live5);
      partial = aggregateCandles(parts, '15m');
    }
  }

  const partialRow = partial ? new Float64Array(FEATURE_COUNT) : undefined;
  const rows = {} as Record<'5m' | '15m' | '1h', { values: Float64Array; from: number }>;
  for (const interval of WINDOW_INTERVALS) {
    const s = series[interval];
    const to = idx[interval];
    const from = to - s.runLength[to]! + 1;
    // Only the rows the window shows are kept: the newest `needed − warm-up` candles.
    const keepFrom = to - (plan.newest[interval].needed - INDICATOR_WARMUP) + 1;
    const peeks: PendingPeek[] =
      interval === '15m' && partial ? [{ afterIndex: to, candle: partial, out: partialRow!, offset: 0 }] : [];
    rows[interval] = { values: computeSeries(s, from, to, peeks, keepFrom), from: keepFrom };
  }
  return assemble(plan, idx, rows, partialRow);
}

/**
 * Windows for many as-of instants with one pass of the indicators over each interval: the training
 * path. Every window equals featureWindow(history, asOf, { steps }) for the same history.
 * All history candles must be valid, closed and ascending (they are all used).
 */
export function featureWindows(
  history: CandleHistory,
  asOfs: readonly number[],
  options: BatchWindowOptions = {},
): FeatureWindow[] {
  const steps = options.steps ?? WINDOW_STEPS;
  assertSteps(steps);
  const skip = options.onError === 'skip';
  const series = {
    '15m': prepareSeries(history['15m'], '15m'),
    '5m': prepareSeries(history['5m'], '5m'),
    '1h': prepareSeries(history['1h'], '1h'),
  };
  const jobs: { plan: WindowPlan; idx: Indices; partialRow: Float64Array | undefined }[] = [];
  const peeks: PendingPeek[] = [];
  for (const asOf of asOfs) {
    assertAsOf(asOf);
    const plan = planWindow(asOf, steps, false);
    let idx: Indices;
    try {
      idx = checkPlan(plan, series);
    } catch (error) {
      if (skip && error instanceof FeatureError) {
        options.onSkip?.(asOf, error);
        continue;
      }
      throw error;
    }
    let partialRow: Float64Array | undefined;
    if (!Number.isNaN(plan.partialOpen)) {
      partialRow = new Float64Array(FEATURE_COUNT);
      const candle = aggregateCandles(partialParts(plan, series['5m']), '15m');
      peeks.push({ afterIndex: idx['15m'], candle, out: partialRow, offset: 0 });
    }
    jobs.push({ plan, idx, partialRow });
  }
  peeks.sort((a, b) => a.afterIndex - b.afterIndex);
  const rows = {} as Record<'5m' | '15m' | '1h', { values: Float64Array; from: number }>;
  for (const interval of WINDOW_INTERVALS) {
    const s = series[interval];
    rows[interval] = {
      values: computeSeries(s, 0, s.candles.length - 1, interval === '15m' ? peeks : []),
      from: 0,
    };
  }
  return jobs.map((job) => assemble(job.plan, job.idx, rows, job.partialRow));
}
