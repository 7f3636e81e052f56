import type { BinanceRest } from '@regime/binance';
import type { Interval } from '@regime/candles';
import { type BackfillStore, runBackfill } from '@regime/kline-backfill';
import type { Logger } from '@regime/service';
import { type StreamKey, streamKey } from './book.ts';
import type { CollectorMetrics } from './metrics.ts';
import type { KlineWriter } from './writer.ts';

interface FillRequest {
  symbol: string;
  interval: Interval;
  /** Fetch closed candles with open time ≥ from (up to the exchange's now). */
  from: number;
}

/**
 * Fills holes in the stream through REST, one stream at a time, with the backfill's core (which skips
 * candles already stored and reports the exchange's own gaps). Requests that arrive while a fill runs
 * are merged per stream (earliest `from` wins) and run next. A failed fill is retried after a pause.
 */
export class GapFiller {
  private readonly pending = new Map<StreamKey, FillRequest>();
  private running: Promise<void> | undefined;
  private readonly retryTimers = new Set<NodeJS.Timeout>();
  private stopped = false;

  constructor(
    private readonly rest: BinanceRest,
    private readonly store: Pick<BackfillStore, 'storedOpenTimes'>,
    private readonly writer: KlineWriter,
    private readonly metrics: CollectorMetrics,
    private readonly logger: Logger,
    private readonly clock: () => number,
    private readonly retryMs = 5000,
  ) {}

  request(symbol: string, interval: Interval, from: number): void {
    if (this.stopped) return;
    const key = streamKey({ symbol, interval });
    const known = this.pending.get(key);
    if (!known || from < known.from) this.pending.set(key, { symbol, interval, from });
    this.running ??= this.drain().finally(() => {
      this.running = undefined;
    });
  }

  /** Resolves when no fill is running or queued. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  stop(): void {
    this.stopped = true;
    this.pending.clear();
    for (const timer of this.retryTimers) clearTimeout(timer);
  }

  private async drain(): Promise<void> {
    while (this.pending.size > 0 && !this.stopped) {
      const [key, job] = this.pending.entries().next().value as [StreamKey, FillRequest];
      this.pending.delete(key);
      await this.fill(job);
    }
  }

  private async fill(job: FillRequest): Promise<void> {
    const summary = await runBackfill(
      {
        symbols: [job.symbol],
        intervals: [job.interval],
        from: job.from,
        concurrency: 1,
        service: 'collector',
      },
      {
        source: this.rest,
        store: {
          storedOpenTimes: (symbol, interval, range) => this.store.storedOpenTimes(symbol, interval, range),
          // Through the writer, so gap-fill rows are ordered with the stream's rows.
          writeKlines: (klines) => this.writer.closed(klines),
          writeEvents: async (events) => {
            for (const e of events) this.writer.event(e);
          },
        },
        clock: this.clock,
      },
    ).catch((error: Error) => ({ ok: false as const, error }));
    const series = 'series' in summary ? summary.series[0] : undefined;
    const error = 'error' in summary ? summary.error.message : series?.error;
    if (error !== undefined) {
      this.logger.error({ ...job, err: error, retryInMs: this.retryMs }, 'gap fill failed: retrying');
      const timer = setTimeout(() => {
        this.retryTimers.delete(timer);
        this.request(job.symbol, job.interval, job.from);
      }, this.retryMs);
      this.retryTimers.add(timer);
      return;
    }
    if (!series) return;
    const missing = series.gaps.reduce((n, g) => n + g.count, 0);
    for (const r of series.rejected) this.metrics.rejected.inc({ reason: r.problem });
    if (missing > 0) this.metrics.exchangeGaps.inc({ interval: job.interval }, missing);
    if (series.written > 0) {
      this.metrics.gapFilled.inc({ interval: job.interval }, series.written);
      this.writer.event({
        ts: this.clock(),
        service: 'collector',
        kind: 'gap_filled',
        symbol: job.symbol,
        interval: job.interval,
        count: series.written,
        detail: `filled over REST from ${new Date(job.from).toISOString()}`,
      });
      this.logger.info({ ...job, written: series.written }, 'gap filled');
    }
  }
}
