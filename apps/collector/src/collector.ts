import {
  BinanceRest,
  futureKlineProblem,
  KlineStream,
  type KlineStreamOptions,
  type ReconnectInfo,
  type RestClientOptions,
  UnknownSymbolError,
} from '@regime/binance';
import { candleOpenAt, INTERVAL_MS, type Interval, type Kline } from '@regime/candles';
import { questdbStore } from '@regime/kline-backfill';
import type { QuestDb } from '@regime/questdb';
import type { Logger } from '@regime/service';
import { CandleBook } from './book.ts';
import { GapFiller } from './gap-filler.ts';
import { type CollectorMetrics, collectorMetrics } from './metrics.ts';
import { KlineWriter, type WriterOptions } from './writer.ts';

export interface CollectorOptions {
  symbols: string[];
  intervals: Interval[];
  restUrl: string;
  wsUrl: string;
  /** In-progress candles are written at most this often. */
  liveFlushMs: number;
  /** Start-up gap fill for a stream with nothing stored starts this far before the exchange's now. */
  lookbackMs: number;
}

export interface CollectorDeps {
  db: QuestDb;
  logger: Logger;
  /** Wall clock for events and the staleness metric (default Date.now). */
  clock?: () => number;
  rest?: Partial<RestClientOptions>;
  /** e.g. a shorter reconnect backoff in tests. */
  stream?: Pick<
    KlineStreamOptions,
    | 'reconnect'
    | 'pingTimeoutMs'
    | 'maxStreamsPerConnection'
    | 'subscribeBatch'
    | 'subscribeIntervalMs'
    | 'rejectionLogWindowMs'
    | 'connectBudget'
  >;
  /** /healthz turns unhealthy when a connection has been down, or writes failing, this long (default 60 s). */
  healthGraceMs?: number;
  writer?: WriterOptions;
  /** Pause before a failed gap fill is tried again. */
  gapFillRetryMs?: number;
  /** Refused messages are recorded as one pipeline_events row per reason per this window (default 10 s). */
  rejectedEventWindowMs?: number;
}

/** A connection down, or writes failing, for this long and /healthz answers 503. */
const DEFAULT_HEALTH_GRACE_MS = 60_000;
const DEFAULT_REJECTED_EVENT_WINDOW_MS = 10_000;
/** As KlineStream's: a closed candle may close at most this long after the exchange's clock. */
const FUTURE_TOLERANCE_MS = 5000;

/**
 * The long-running collector: Binance kline streams → QuestDB, with REST gap fills on start, after
 * every reconnect and whenever a stream skips a close. Start with Collector.start, end with stop().
 */
export class Collector {
  readonly metrics: CollectorMetrics;
  private readonly book = new CandleBook();
  private readonly writer: KlineWriter;
  private readonly gaps: GapFiller;
  private readonly stream: KlineStream;
  private readonly rest: BinanceRest;
  private readonly clock: () => number;
  private liveTimer: NodeJS.Timeout | undefined;
  /** Closed candles waiting for the exchange's REST clock to confirm them. */
  private readonly confirming = new Set<Promise<void>>();
  /** Refused messages not yet recorded in pipeline_events, per reason code. */
  private readonly pendingRejections = new Map<string, { count: number; first: string }>();
  private rejectionTimer: NodeJS.Timeout | undefined;
  /** Where a stream's gap fill starts when no closed candle of it is known. */
  private readonly initialFrom = new Map<string, number>();

  private constructor(
    private readonly opts: CollectorOptions,
    private readonly deps: CollectorDeps,
  ) {
    const { logger } = deps;
    this.clock = deps.clock ?? Date.now;
    this.metrics = collectorMetrics(() => this.book.closedHeads(), this.clock);
    this.writer = new KlineWriter(this.book, deps.db, this.metrics, logger, deps.writer);
    this.rest = new BinanceRest({ baseUrl: opts.restUrl, logger, ...deps.rest });
    this.gaps = new GapFiller(
      this.rest,
      questdbStore(deps.db),
      this.writer,
      this.metrics,
      logger,
      this.clock,
      deps.gapFillRetryMs,
    );
    this.stream = new KlineStream({
      baseUrl: opts.wsUrl,
      symbols: opts.symbols,
      intervals: opts.intervals,
      logger,
      ...deps.stream,
    });
    this.stream.on('kline', (k) => this.onKline(k));
    this.stream.on('rejected', (reason, raw, code) => this.onRejected(reason, raw, code));
    this.stream.on('connected', () => this.updateConnectedGauge());
    this.stream.on('disconnected', (reason, connection) => {
      this.updateConnectedGauge();
      logger.warn({ reason, connection }, 'stream connection lost');
    });
    this.stream.on('reconnected', (downSince, info) => this.onReconnected(downSince, info));
  }

  static async start(opts: CollectorOptions, deps: CollectorDeps): Promise<Collector> {
    const collector = new Collector(opts, deps);
    await collector.begin();
    return collector;
  }

  private async begin(): Promise<void> {
    const { db, logger } = this.deps;
    await this.refuseUnknownSymbols();
    await db.ensureSchema();
    // The exchange's clock bounds what can be stored: a row dated after it (a poisoned candle from an
    // older version or another writer) must not move the gap fill's start past real, missing candles.
    const serverNow = await this.serverNowOrWall();
    // Read where each stream stands BEFORE the stream starts: a close received meanwhile must not
    // move the fill's start past candles that were missed while the collector was down.
    const starts: { symbol: string; interval: Interval; from: number | undefined }[] = [];
    for (const symbol of this.opts.symbols) {
      for (const interval of this.opts.intervals) {
        const firstFuture = candleOpenAt(interval, serverNow) + INTERVAL_MS[interval];
        await this.reportFutureRows(symbol, interval, firstFuture);
        // Only candles closed by the exchange's clock count (open + interval ≤ now).
        const latest = await db.latestOpenTime(symbol, interval, {
          closedOnly: true,
          beforeOpenTime: candleOpenAt(interval, serverNow),
        });
        if (latest !== undefined) this.book.stored({ symbol, interval }, latest);
        starts.push({
          symbol,
          interval,
          from: latest === undefined ? undefined : latest + INTERVAL_MS[interval],
        });
      }
    }
    this.liveTimer = setInterval(() => this.writer.flushLive(), this.opts.liveFlushMs);
    // start() resolves once connected; it keeps retrying meanwhile, so do not block start-up on it.
    this.stream.start().catch((error: Error) => logger.error({ err: error.message }, 'kline stream stopped'));
    for (const s of starts) {
      const from = s.from ?? serverNow - this.opts.lookbackMs;
      this.initialFrom.set(`${s.symbol}@${s.interval}`, from);
      this.gaps.request(s.symbol, s.interval, from);
    }
    logger.info(
      { symbols: this.opts.symbols, intervals: this.opts.intervals, liveFlushMs: this.opts.liveFlushMs },
      'collector started',
    );
  }

  /** Rows of klines that open after the candle in progress on the exchange: logged, counted, recorded. */
  private async reportFutureRows(symbol: string, interval: Interval, firstFuture: number): Promise<void> {
    const count = await this.deps.db.countKlinesFrom(symbol, interval, firstFuture);
    if (count === 0) return;
    const detail = `${count} stored row(s) open at or after ${new Date(firstFuture).toISOString()}, past the exchange clock: ignored by the gap fill`;
    this.deps.logger.error({ symbol, interval, count }, detail);
    this.metrics.futureRows.inc({ interval }, count);
    this.writer.event({
      ts: this.clock(),
      service: 'collector',
      kind: 'future_rows',
      symbol,
      interval,
      count,
      detail,
    });
  }

  /**
   * Binance accepts a subscription to a stream that does not exist and then sends nothing, so a typo
   * in SYMBOLS would look like a quiet market. Ask REST once per symbol and fail at start instead.
   * Other errors (exchange unreachable) do not stop the start: the stream and gap fills keep retrying.
   */
  private async refuseUnknownSymbols(): Promise<void> {
    const unknown: string[] = [];
    for (const symbol of this.opts.symbols) {
      try {
        await this.rest.klines({ symbol, interval: this.opts.intervals[0]!, limit: 1 });
      } catch (error) {
        if (error instanceof UnknownSymbolError) unknown.push(symbol);
        else
          this.deps.logger.warn(
            { symbol, err: (error as Error).message },
            'cannot check the symbol on the exchange',
          );
      }
    }
    if (unknown.length > 0) {
      throw new Error(
        `unknown symbol(s) ${unknown.join(', ')}: the exchange does not list them (check SYMBOLS)`,
      );
    }
  }

  private async serverNowOrWall(): Promise<number> {
    try {
      return await this.rest.serverTime();
    } catch (error) {
      this.deps.logger.warn(
        { err: (error as Error).message },
        'cannot read the exchange clock: using the local one',
      );
      return this.clock();
    }
  }

  private onKline(k: Kline): void {
    if (!k.closed) {
      this.writer.live(k);
      return;
    }
    const last = this.book.lastClosed(k);
    const step = INTERVAL_MS[k.interval];
    if (last !== undefined && k.openTime <= last + step) {
      void this.writer.closed([k]);
      return;
    }
    // A close that does not follow the newest one: a skipped close (a message lost or refused), the
    // first close after start-up, or a candle from the future whose event time `E` was forged too.
    // One REST request settles it: the exchange's own clock must have passed the candle's close.
    const confirming: Promise<void> = this.confirmedByServerClock(k).then((confirmed) => {
      this.confirming.delete(confirming);
      if (!confirmed) return;
      // Fetch the closes that were skipped.
      if (last !== undefined) this.gaps.request(k.symbol, k.interval, last + step);
      void this.writer.closed([k]);
    });
    this.confirming.add(confirming);
  }

  /** False (and the candle refused as future_candle) when the exchange's REST clock has not reached its close. */
  private async confirmedByServerClock(k: Kline): Promise<boolean> {
    let serverNow: number;
    try {
      serverNow = await this.rest.serverTime();
    } catch (error) {
      // Without the REST clock, the message's own event time (already checked) is all there is.
      this.deps.logger.warn(
        { symbol: k.symbol, interval: k.interval, err: (error as Error).message },
        'cannot read the exchange clock to confirm a closed candle: keeping it',
      );
      return true;
    }
    const problem = futureKlineProblem(k, serverNow, FUTURE_TOLERANCE_MS);
    if (problem === undefined) return true;
    this.deps.logger.warn({ symbol: k.symbol, interval: k.interval }, problem);
    this.onRejected(`${problem} (exchange REST clock)`, JSON.stringify(k), 'future_candle');
    return false;
  }

  private onRejected(reason: string, raw: string, code: string): void {
    // KlineStream has logged it (aggregated); count it, and record it in pipeline_events aggregated
    // per reason and window: a burst of garbage must not become thousands of rows.
    this.metrics.rejected.inc({ reason: code });
    const pending = this.pendingRejections.get(code);
    if (pending) pending.count++;
    else this.pendingRejections.set(code, { count: 1, first: `${reason} | ${raw.slice(0, 200)}` });
    this.rejectionTimer ??= setTimeout(
      () => this.flushRejections(),
      this.deps.rejectedEventWindowMs ?? DEFAULT_REJECTED_EVENT_WINDOW_MS,
    );
  }

  /** One pipeline_events row per reason for the messages refused since the last call. */
  private flushRejections(): void {
    clearTimeout(this.rejectionTimer);
    this.rejectionTimer = undefined;
    for (const [code, { count, first }] of this.pendingRejections) {
      this.writer.event({
        ts: this.clock(),
        service: 'collector',
        kind: 'rejected',
        count,
        detail: `${count} WebSocket message(s) refused (${code}); first: ${first}`,
      });
    }
    this.pendingRejections.clear();
  }

  private updateConnectedGauge(): void {
    const states = this.stream.connectionStates();
    this.metrics.connected.set(states.every((c) => c.up) ? 1 : 0);
    this.metrics.connectionsDown.set(states.filter((c) => !c.up).length);
  }

  private onReconnected(downSince: number, info: ReconnectInfo): void {
    this.metrics.reconnects.inc();
    const downMs = Date.now() - downSince;
    this.deps.logger.info({ downMs, streams: info.streams.length }, 'stream reconnected: gap filling');
    this.writer.event({
      ts: this.clock(),
      service: 'collector',
      kind: 'reconnect',
      count: info.streams.length,
      detail: `reconnected after ${downMs} ms`,
    });
    for (const { symbol, interval } of info.streams) {
      const key = `${symbol}@${interval}`;
      const last = info.lastClosedOpenTime[key] ?? this.book.lastClosed({ symbol, interval });
      const from = last === undefined ? this.initialFrom.get(key) : last + INTERVAL_MS[interval];
      if (from !== undefined) this.gaps.request(symbol, interval, from);
    }
  }

  /** Open time of the newest closed candle handed to the writer for a stream. */
  lastClosed(symbol: string, interval: Interval): number | undefined {
    return this.book.lastClosed({ symbol, interval });
  }

  /** Resolves when no gap fill is running and everything held has been written. */
  async settled(): Promise<void> {
    while (this.confirming.size > 0) await Promise.all(this.confirming);
    this.flushRejections();
    await this.gaps.idle();
    await this.writer.flush();
  }

  /**
   * Unhealthy while any WebSocket connection has been down (closed, refused, or not subscribed) for
   * longer than the grace period, or writes have been failing that long. Each connection is listed:
   * with 1500 streams over two connections, one refused connection is 476 streams without data.
   */
  health(): { ok: boolean; [detail: string]: unknown } {
    const now = Date.now();
    const grace = this.deps.healthGraceMs ?? DEFAULT_HEALTH_GRACE_MS;
    const connections = this.stream.connectionStates().map((c) => ({
      ...c,
      downForMs: c.downSince === undefined ? undefined : now - c.downSince,
      downSince: c.downSince === undefined ? undefined : new Date(c.downSince).toISOString(),
    }));
    const down = connections.filter((c) => c.downForMs !== undefined && c.downForMs >= grace);
    const writerOk = this.writer.failingSince === undefined || now - this.writer.failingSince < grace;
    const reasons = [
      ...down.map((c) => `connection ${c.id} (${c.streams} streams) down for ${c.downForMs} ms: ${c.reason}`),
      ...(writerOk
        ? []
        : [`QuestDB writes failing since ${new Date(this.writer.failingSince!).toISOString()}`]),
    ];
    return {
      ok: reasons.length === 0,
      ...(reasons.length > 0 ? { reasons } : {}),
      connections,
      pendingClosedCandles: this.writer.pendingClosed,
      lastWriteError: this.writer.failingSince === undefined ? undefined : this.writer.lastError,
    };
  }

  /** Stops the stream and writes what is held (waiting at most `timeoutMs` for QuestDB). */
  async stop(timeoutMs = 15_000): Promise<void> {
    clearInterval(this.liveTimer);
    await this.stream.stop();
    this.flushRejections();
    this.gaps.stop();
    const flushed = this.gaps
      .idle()
      .then(() => this.writer.flush())
      .then(() => true);
    const timedOut = new Promise<false>((resolve) => setTimeout(() => resolve(false), timeoutMs).unref());
    if (!(await Promise.race([flushed, timedOut]))) {
      this.deps.logger.error(
        { pendingClosedCandles: this.writer.pendingClosed },
        'shutdown: QuestDB did not take the held candles in time; they are lost from this process (the next start gap-fills them)',
      );
    }
    this.deps.logger.info('collector stopped');
  }
}
