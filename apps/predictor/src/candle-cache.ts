import { type Candle, candleOpenAt, INTERVAL_MS } from '@regime/candles';
import {
  type CandleSeries,
  FEATURE_INTERVALS,
  type FeatureInterval,
  type PredictionMode,
} from '@regime/inference';
import type { QuestDb } from '@regime/questdb';

/** Closed candles kept beyond the warm-up, so catch-up instants up to a few hours back need no full read. */
const DEFAULT_SLACK = 64;

/**
 * The recent candles of each symbol, read from QuestDB with bound parameters. A window needs ~1,400
 * candles (the warm-up of three intervals) but consecutive as-of instants share all but the newest few,
 * and reading and parsing rows over pg is the predictor's main cost. So the closed candles are kept in
 * memory per symbol and interval, and a job only reads the rows newer than the newest cached closed
 * candle. In-progress rows are never cached (they change). A full read happens on first use, for an
 * instant older than the cache reaches, and after `invalidate` (the worker calls it when the inputs
 * of a job were unusable, e.g. a gap the collector has since filled).
 */
export class CandleCache {
  private readonly closed = new Map<string, Candle[]>();
  private readonly queues = new Map<string, Promise<unknown>>();

  constructor(
    private readonly db: QuestDb,
    private readonly warmup: Record<FeatureInterval, number>,
    private readonly slack = DEFAULT_SLACK,
  ) {}

  /**
   * For each interval, the newest warm-up + 1 candles with open time < T (closed or not): the history
   * inputsAsOf picks from, plus the candle containing T. `official` needs no candle in progress at T:
   * an interval is then only read when a candle newer than the cached ones can have closed by T
   * (most official jobs read the new 5m candle only, not the 15m and 1h candles in progress).
   */
  async recent(symbol: string, asOf: number, mode: PredictionMode = 'live'): Promise<CandleSeries> {
    const [m5, m15, h1] = await Promise.all(
      FEATURE_INTERVALS.map((interval) =>
        this.serialized(`${symbol}@${interval}`, () => this.read(symbol, interval, asOf, mode)),
      ),
    );
    return { '5m': m5!, '15m': m15!, '1h': h1! };
  }

  invalidate(symbol: string): void {
    for (const interval of FEATURE_INTERVALS) this.closed.delete(`${symbol}@${interval}`);
  }

  /** One read at a time per series, so concurrent jobs of a symbol share one full read. */
  private serialized<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const next = (this.queues.get(key) ?? Promise.resolve()).then(fn, fn);
    const settled = next.catch(() => {});
    this.queues.set(key, settled);
    void settled.then(() => {
      if (this.queues.get(key) === settled) this.queues.delete(key);
    });
    return next;
  }

  private async read(
    symbol: string,
    interval: FeatureInterval,
    asOf: number,
    mode: PredictionMode,
  ): Promise<Candle[]> {
    const key = `${symbol}@${interval}`;
    const ms = INTERVAL_MS[interval];
    const count = this.warmup[interval] + 1;
    const cached = this.closed.get(key);
    const oldestNeeded = candleOpenAt(interval, asOf) - count * ms;
    if (!cached || cached.length === 0 || cached[0]!.openTime > oldestNeeded) {
      const rows = await this.db.readLatestKlines(symbol, interval, count, asOf);
      const newest = cached?.at(-1)?.openTime ?? Number.NEGATIVE_INFINITY;
      const closedRows = closedPrefix(rows);
      if ((closedRows.at(-1)?.openTime ?? Number.NEGATIVE_INFINITY) >= newest)
        this.closed.set(key, closedRows);
      return rows;
    }
    const last = cached.at(-1)!;
    // Live: anything after the newest cached candle (the one in progress at T included). Official:
    // only if the next candle can have closed by T.
    const worthReading = mode === 'live' ? last.openTime + ms < asOf : last.openTime + 2 * ms <= asOf;
    const fresh = worthReading ? await this.db.readKlines(symbol, interval, last.openTime + ms, asOf) : [];
    const newlyClosed = closedPrefix(fresh);
    if (newlyClosed.length > 0) {
      cached.push(...newlyClosed);
      if (cached.length > count + this.slack) cached.splice(0, cached.length - count - this.slack);
    }
    const known = cached.filter((c) => c.openTime < asOf);
    return [...known, ...fresh.slice(newlyClosed.length)].slice(-count);
  }
}

/** The leading run of closed candles: what may be cached (nothing after an in-progress candle). */
function closedPrefix(rows: readonly Candle[]): Candle[] {
  const end = rows.findIndex((c) => !c.closed);
  return end < 0 ? [...rows] : rows.slice(0, end);
}
