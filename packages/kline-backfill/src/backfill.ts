import type { Candle, Interval, Kline } from '@regime/candles';
import type { PipelineEvent } from '@regime/questdb';
import { candleCount, closedRange, missingRanges, type OpenTimeRange } from './plan.ts';
import { type Gap, RangeScanner, type RejectedCandle, type RejectedRow } from './scan.ts';

/** One page from the source: sound closed candles, and the rows it refused (skipped, reported). */
export interface SourcePage {
  candles: Candle[];
  rejected: RejectedRow[];
}

/** What the backfill needs from the exchange (implemented by BinanceRest). */
export interface KlineSource {
  /** Closed candles with open time in [from, to), page by page, with the rows refused on the way. */
  klinePagesBetween(symbol: string, interval: Interval, from: number, to: number): AsyncIterable<SourcePage>;
  serverTime(): Promise<number>;
}

/** What the backfill needs from QuestDB (see questdbStore). */
export interface BackfillStore {
  /** Open times of the closed candles already stored for the series inside the range. */
  storedOpenTimes(symbol: string, interval: Interval, range: OpenTimeRange): Promise<number[]>;
  writeKlines(klines: Kline[]): Promise<void>;
  writeEvents(events: PipelineEvent[]): Promise<void>;
}

export interface BackfillProgress {
  seriesStarted(series: string, total: number): void;
  seriesAdvanced(series: string, done: number): void;
  seriesFinished(series: string, summary: SeriesSummary): void;
}

export interface BackfillOptions {
  symbols: string[];
  intervals: Interval[];
  /** Inclusive start of the period (epoch ms); default: `defaultDays` before the exchange's clock. */
  from?: number;
  /** Exclusive end of the period (epoch ms); default and upper limit: the exchange's clock. */
  to?: number;
  defaultDays?: number;
  /** Series loaded at the same time. */
  concurrency?: number;
  /** Candles per QuestDB write (one acknowledged ILP flush each). */
  batchSize?: number;
  /** `service` of the pipeline_events rows written (the collector reuses this core for its gap fills). */
  service?: string;
  /**
   * A period starting at or after the exchange's clock is an error (PeriodAfterClockError) rather
   * than a run with nothing to load: set by the CLI, where such a period is a mistake in the dates.
   * The collector leaves it off: "everything after the newest candle" may legitimately be empty.
   */
  refusePeriodAfterClock?: boolean;
}

/** The asked period has not begun on the exchange's clock. */
export class PeriodAfterClockError extends Error {
  constructor(
    readonly from: number,
    readonly exchangeNow: number,
  ) {
    super(
      `the period starts at ${iso(from)}, after the exchange clock (${iso(exchangeNow)}): no candle of it exists yet`,
    );
    this.name = 'PeriodAfterClockError';
  }
}

export interface BackfillDeps {
  source: KlineSource;
  store: BackfillStore;
  progress?: BackfillProgress;
  /** Wall clock for pipeline_events timestamps (`ts`; the exchange's clock goes to `exchange_ts`). */
  clock?: () => number;
}

export interface SeriesSummary {
  symbol: string;
  interval: Interval;
  /** Closed-candle range of the period, undefined when none of it has closed yet. */
  range?: OpenTimeRange;
  /** Candles of the range already stored before this run. */
  alreadyStored: number;
  /** The parts of the range this run asked the exchange for. */
  fetched: OpenTimeRange[];
  written: number;
  gaps: Gap[];
  rejected: RejectedCandle[];
  duplicates: number;
  error?: string;
}

export interface BackfillSummary {
  from: number;
  to: number;
  series: SeriesSummary[];
  ok: boolean;
}

const DAY_MS = 86_400_000;

/**
 * Loads closed candles for every symbol × interval into QuestDB, skipping what is already stored.
 * A period with nothing closed yet gives series without a range (not an error: the collector asks
 * for "everything after the last closed candle" and may find nothing new).
 */
export async function runBackfill(options: BackfillOptions, deps: BackfillDeps): Promise<BackfillSummary> {
  const now = await deps.source.serverTime();
  const to = Math.min(options.to ?? now, now);
  const from = options.from ?? now - (options.defaultDays ?? 45) * DAY_MS;
  if (options.refusePeriodAfterClock && from >= now) throw new PeriodAfterClockError(from, now);
  const jobs = options.symbols.flatMap((symbol) =>
    options.intervals.map((interval) => ({ symbol, interval })),
  );
  const series: SeriesSummary[] = new Array(jobs.length);
  let nextJob = 0;
  const worker = async () => {
    while (nextJob < jobs.length) {
      const index = nextJob++;
      const job = jobs[index]!;
      series[index] = await backfillSeries(job.symbol, job.interval, { from, to }, now, options, deps);
    }
  };
  const workers = Math.max(1, Math.min(options.concurrency ?? 2, jobs.length));
  await Promise.all(Array.from({ length: workers }, worker));
  return { from, to, series, ok: series.every((s) => s.error === undefined) };
}

async function backfillSeries(
  symbol: string,
  interval: Interval,
  period: OpenTimeRange,
  now: number,
  options: BackfillOptions,
  deps: BackfillDeps,
): Promise<SeriesSummary> {
  const key = `${symbol} ${interval}`;
  const summary: SeriesSummary = {
    symbol,
    interval,
    alreadyStored: 0,
    fetched: [],
    written: 0,
    gaps: [],
    rejected: [],
    duplicates: 0,
  };
  const range = closedRange(interval, period.from, period.to, now);
  if (!range) {
    deps.progress?.seriesStarted(key, 0);
    deps.progress?.seriesFinished(key, summary);
    return summary;
  }
  summary.range = range;
  const batchSize = options.batchSize ?? 10_000;
  let pendingWrite: Promise<void> = Promise.resolve();
  try {
    const stored = await deps.store.storedOpenTimes(symbol, interval, range);
    summary.fetched = missingRanges(range, interval, stored);
    const total = summary.fetched.reduce((n, r) => n + candleCount(r, interval), 0);
    summary.alreadyStored = candleCount(range, interval) - total;
    deps.progress?.seriesStarted(key, total);

    let buffer: Kline[] = [];
    // Writing batch n overlaps fetching batch n+1; at most one write is in flight, so rows land in order.
    const write = async (klines: Kline[]) => {
      await pendingWrite;
      pendingWrite = deps.store.writeKlines(klines).then(() => {
        summary.written += klines.length;
      });
      pendingWrite.catch(() => {}); // awaited (and thrown) at the next write or at the end
    };
    let done = 0;
    for (const missing of summary.fetched) {
      const scanner = new RangeScanner(interval, missing);
      for await (const page of deps.source.klinePagesBetween(symbol, interval, missing.from, missing.to)) {
        const result = scanner.accept(page.candles, page.rejected);
        summary.duplicates += result.duplicates;
        summary.rejected.push(...result.rejected);
        for (const candle of result.accepted) buffer.push({ ...candle, symbol, interval });
        if (buffer.length >= batchSize) {
          await write(buffer);
          buffer = [];
        }
        deps.progress?.seriesAdvanced(
          key,
          done + candleCount({ from: missing.from, to: scanner.coveredUntil }, interval),
        );
      }
      summary.gaps.push(...scanner.finish());
      done += candleCount(missing, interval);
      deps.progress?.seriesAdvanced(key, done);
    }
    if (buffer.length > 0) await write(buffer);
    await pendingWrite;
    const events = eventsOf(summary, options.service ?? 'backfill', deps.clock ?? Date.now, now);
    if (events.length > 0) await deps.store.writeEvents(events);
  } catch (error) {
    await pendingWrite.catch(() => {});
    summary.error = error instanceof Error ? error.message : String(error);
  }
  deps.progress?.seriesFinished(key, summary);
  return summary;
}

/** pipeline_events rows for what the series run found: one per exchange gap, one for all rejected candles. */
export function eventsOf(
  summary: SeriesSummary,
  service: string,
  clock: () => number,
  /** The exchange's clock the run read (`exchange_ts` of the rows). */
  exchangeNow?: number,
): PipelineEvent[] {
  const base = {
    service,
    symbol: summary.symbol,
    interval: summary.interval,
    ...(exchangeNow === undefined ? {} : { exchangeTs: exchangeNow }),
  };
  const events: PipelineEvent[] = summary.gaps.map((gap) => ({
    ...base,
    ts: clock(),
    kind: 'gap',
    count: gap.count,
    detail: `exchange has no candles from ${iso(gap.from)} to ${iso(gap.to)} (exclusive)`,
  }));
  if (summary.rejected.length > 0) {
    const first = summary.rejected[0]!;
    events.push({
      ...base,
      ts: clock(),
      kind: 'rejected',
      count: summary.rejected.length,
      detail:
        `invalid candles from the exchange skipped, first ${first.openTime === undefined ? '(open time unreadable)' : `at ${iso(first.openTime)}`}: ${first.problem} (${first.detail})`.slice(
          0,
          2000,
        ),
    });
  }
  return events;
}

export function iso(t: number): string {
  return new Date(t).toISOString().replace('.000Z', 'Z');
}
