import type { SenderBuffer } from '@questdb/nodejs-client';
import {
  type Candle,
  candleProblem,
  type Interval,
  isInterval,
  isValidSymbol,
  type Kline,
} from '@regime/candles';
import type pg from 'pg';
import type { QuestDbConfig } from './config.ts';
import { openConnection } from './connection.ts';
import type { IlpWriter } from './ilp.ts';
import { KlineEncoder } from './kline-encoder.ts';
import { existingColumns, runMigrations } from './migrations.ts';
import { timestampParam } from './pg-types.ts';
import {
  eventId,
  eventProblem,
  type PipelineEvent,
  type PredictionMode,
  type PredictionRow,
  predictionProblem,
  REGIME_IDS,
  type RegimeId,
} from './rows.ts';
import { eventsMigrations, schemaStatements } from './schema.ts';
import { assertTableNames, DEFAULT_TABLES, type TableNames } from './tables.ts';
import { type WaitForWalOptions, waitForTablesWal } from './wal.ts';

export type { WaitForWalOptions };

export interface ReadOptions {
  /** Only candles with closed = true (in-progress candles are skipped). */
  closedOnly?: boolean;
}

export interface ConnectOptions {
  /** Rows per ILP HTTP request (= per QuestDB transaction). Default DEFAULT_ROWS_PER_REQUEST. */
  rowsPerRequest?: number;
}

interface KlineRow {
  ts: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
  quote_volume: number | null;
  taker_buy_base_volume: number | null;
  taker_buy_quote_volume: number | null;
  trades: number | null;
  close_time: number;
  closed: boolean;
}

const KLINE_COLUMNS =
  'ts, open, high, low, close, volume, quote_volume, taker_buy_base_volume, taker_buy_quote_volume, ' +
  'trades, close_time, closed';

function toCandle(row: KlineRow): Candle {
  const candle: Candle = {
    openTime: row.ts,
    open: row.open,
    high: row.high,
    low: row.low,
    close: row.close,
    volume: row.volume,
    closeTime: row.close_time,
    closed: row.closed,
  };
  if (row.quote_volume !== null) candle.quoteVolume = row.quote_volume;
  if (row.trades !== null) candle.trades = row.trades;
  if (row.taker_buy_base_volume !== null) candle.takerBuyBaseVolume = row.taker_buy_base_volume;
  if (row.taker_buy_quote_volume !== null) candle.takerBuyQuoteVolume = row.taker_buy_quote_volume;
  return candle;
}

function klineProblem(k: Kline): string | undefined {
  if (!isValidSymbol(k.symbol)) return `symbol ${JSON.stringify(k.symbol)} is not a valid symbol`;
  if (!isInterval(k.interval)) return `interval ${JSON.stringify(k.interval)} is not a known interval`;
  if (typeof k.closed !== 'boolean') return 'closed is not a boolean';
  if (k.trades !== undefined && !Number.isSafeInteger(k.trades))
    return `trades ${k.trades} is not an integer`;
  return candleProblem(k, k.interval)?.detail;
}

/** Throws on the first unsound item, naming it, so nothing of the batch is written. */
function assertAll<T>(items: readonly T[], what: string, problem: (item: T) => string | undefined): void {
  for (let i = 0; i < items.length; i++) {
    const found = problem(items[i]!);
    if (found) throw new Error(`refusing to write ${what}: item ${i} of ${items.length}: ${found}`);
  }
}

function writePredictionRow(table: string, b: SenderBuffer, r: PredictionRow): void {
  b.table(table)
    .symbol('symbol', r.symbol)
    .symbol('mode', r.mode)
    .symbol('regime', r.regime)
    .symbol('model_version', r.modelVersion)
    .floatColumn('confidence', r.confidence);
  for (const id of REGIME_IDS) b.floatColumn(`p_${id}`, r.probabilities[id]);
  b.floatColumn('latency_ms', r.latencyMs).timestampColumn('created_at', r.createdAt, 'ms').at(r.ts, 'ms');
}

function writeEventRow(table: string, b: SenderBuffer, e: PipelineEvent): void {
  b.table(table).symbol('service', e.service).symbol('kind', e.kind);
  if (e.symbol !== undefined) b.symbol('symbol', e.symbol);
  if (e.interval !== undefined) b.symbol('interval', e.interval);
  b.intColumn('count', e.count).stringColumn('detail', e.detail).stringColumn('event_id', eventId(e));
  if (e.exchangeTs !== undefined) b.timestampColumn('exchange_ts', e.exchangeTs, 'ms');
  b.at(e.ts, 'ms');
}

/**
 * The one gateway to QuestDB: schema, ILP-over-HTTP writers (acknowledged before they resolve) and
 * pg readers with bound parameters. Every instant in and out is epoch milliseconds UTC.
 *
 * QuestDB applies WAL transactions asynchronously: a resolved write is durable but becomes visible to
 * SELECT a few milliseconds later. Call waitForWal() when you need to read your own writes.
 */
export class QuestDb {
  private schemaReady: Promise<void> | undefined;
  private readonly klineEncoder: KlineEncoder;

  private constructor(
    readonly tables: TableNames,
    private readonly pool: pg.Pool,
    private readonly ilp: IlpWriter,
  ) {
    this.klineEncoder = new KlineEncoder(tables.klines);
  }

  static async connect(
    config: QuestDbConfig,
    tables: TableNames = DEFAULT_TABLES,
    options: ConnectOptions = {},
  ): Promise<QuestDb> {
    const names = assertTableNames(tables);
    const { pool, ilp } = await openConnection(config, {
      maxConnections: 4,
      rowsPerRequest: options.rowsPerRequest,
    });
    return new QuestDb(names, pool, ilp);
  }

  /** CREATE TABLE IF NOT EXISTS for the three tables: safe to call at every start-up. */
  async ensureSchema(): Promise<void> {
    for (const sql of schemaStatements(this.tables)) await this.pool.query(sql);
    const query = <T>(sql: string) => this.query<T>(sql);
    const columns = await existingColumns(query, this.tables.events);
    await runMigrations(query, eventsMigrations(this.tables.events, columns));
  }

  /** Writers create the tables first, so ILP never auto-creates them with inferred (wrong) types. */
  private schema(): Promise<void> {
    this.schemaReady ??= this.ensureSchema().catch((error) => {
      this.schemaReady = undefined;
      throw error;
    });
    return this.schemaReady;
  }

  /**
   * Upserts klines (key: open time, symbol, interval). Validates every kline first and throws on an
   * invalid one before anything is written: callers filter (and count) bad candles beforehand.
   */
  async writeKlines(klines: readonly Kline[]): Promise<void> {
    assertAll(klines, 'klines', klineProblem);
    if (klines.length === 0) return;
    await this.schema();
    const encoder = this.klineEncoder;
    await this.ilp.write(klines, (slice) => {
      try {
        for (const k of slice) encoder.add(k);
        return encoder.take();
      } catch (error) {
        encoder.discard();
        throw error;
      }
    });
  }

  /** Upserts predictions (key: ts, symbol, mode). */
  async writePredictions(rows: readonly PredictionRow[]): Promise<void> {
    assertAll(rows, 'predictions', predictionProblem);
    if (rows.length === 0) return;
    await this.schema();
    const table = this.tables.predictions;
    await this.ilp.write(
      rows,
      this.ilp.clientEncoder<PredictionRow>((b, r) => writePredictionRow(table, b, r)),
    );
  }

  /** Appends events; the same event written again upserts its row (DEDUP UPSERT KEYS(ts, event_id)). */
  async writeEvents(events: readonly PipelineEvent[]): Promise<void> {
    assertAll(events, 'pipeline events', eventProblem);
    if (events.length === 0) return;
    await this.schema();
    const table = this.tables.events;
    await this.ilp.write(
      events,
      this.ilp.clientEncoder<PipelineEvent>((b, e) => writeEventRow(table, b, e)),
    );
  }

  /** Candles with open time in [fromOpenTime, toOpenTime), ascending. */
  async readKlines(
    symbol: string,
    interval: Interval,
    fromOpenTime: number,
    toOpenTime: number,
    opts: ReadOptions = {},
  ): Promise<Candle[]> {
    const rows = await this.query<KlineRow>(
      `SELECT ${KLINE_COLUMNS} FROM ${this.tables.klines}
       WHERE symbol = $1 AND "interval" = $2 AND ts >= $3 AND ts < $4${opts.closedOnly ? ' AND closed' : ''}
       ORDER BY ts`,
      [symbol, interval, timestampParam(fromOpenTime), timestampParam(toOpenTime)],
    );
    return rows.map(toCandle);
  }

  /** The newest `count` candles with open time < beforeOpenTime, ascending. */
  async readLatestKlines(
    symbol: string,
    interval: Interval,
    count: number,
    beforeOpenTime: number,
    opts: ReadOptions = {},
  ): Promise<Candle[]> {
    if (!Number.isSafeInteger(count) || count < 0) throw new Error(`count ${count} is not a natural number`);
    if (count === 0) return [];
    const rows = await this.query<KlineRow>(
      `SELECT ${KLINE_COLUMNS} FROM ${this.tables.klines}
       WHERE symbol = $1 AND "interval" = $2 AND ts < $3${opts.closedOnly ? ' AND closed' : ''}
       ORDER BY ts DESC LIMIT $4`,
      [symbol, interval, timestampParam(beforeOpenTime), count],
    );
    return rows.reverse().map(toCandle);
  }

  /** Predictions of one symbol and mode with ts in [fromTs, toTs), ascending. */
  async readPredictions(
    symbol: string,
    mode: PredictionMode,
    fromTs: number,
    toTs: number,
  ): Promise<PredictionRow[]> {
    const rows = await this.query<Record<string, unknown>>(
      `SELECT ts, symbol, mode, regime, confidence, ${REGIME_IDS.map((id) => `p_${id}`).join(', ')},
              model_version, latency_ms, created_at
       FROM ${this.tables.predictions}
       WHERE symbol = $1 AND mode = $2 AND ts >= $3 AND ts < $4
       ORDER BY ts`,
      [symbol, mode, timestampParam(fromTs), timestampParam(toTs)],
    );
    return rows.map((r) => ({
      ts: r.ts as number,
      symbol: r.symbol as string,
      mode: r.mode as PredictionMode,
      regime: r.regime as string,
      confidence: r.confidence as number,
      probabilities: Object.fromEntries(REGIME_IDS.map((id) => [id, r[`p_${id}`] as number])) as Record<
        RegimeId,
        number
      >,
      modelVersion: r.model_version as string,
      latencyMs: r.latency_ms as number,
      createdAt: r.created_at as number,
    }));
  }

  /**
   * Open time of the newest stored candle of the series, or undefined when there is none.
   * `beforeOpenTime` (exclusive) ignores rows at or after it, e.g. rows dated after the exchange's clock.
   */
  async latestOpenTime(
    symbol: string,
    interval: Interval,
    opts: ReadOptions & { beforeOpenTime?: number } = {},
  ): Promise<number | undefined> {
    const params: unknown[] = [symbol, interval];
    if (opts.beforeOpenTime !== undefined) params.push(timestampParam(opts.beforeOpenTime));
    const rows = await this.query<{ ts: number | null }>(
      `SELECT max(ts) ts FROM ${this.tables.klines}
       WHERE symbol = $1 AND "interval" = $2${opts.closedOnly ? ' AND closed' : ''}${opts.beforeOpenTime !== undefined ? ' AND ts < $3' : ''}`,
      params,
    );
    return rows[0]?.ts ?? undefined;
  }

  /** How many rows of the series open at or after `openTime` (e.g. rows dated after the exchange's clock). */
  async countKlinesFrom(symbol: string, interval: Interval, openTime: number): Promise<number> {
    const rows = await this.query<{ n: number }>(
      `SELECT count() n FROM ${this.tables.klines} WHERE symbol = $1 AND "interval" = $2 AND ts >= $3`,
      [symbol, interval, timestampParam(openTime)],
    );
    return Number(rows[0]?.n ?? 0);
  }

  /**
   * Raw SQL over pg with bound parameters. TIMESTAMP columns come back as epoch ms numbers and LONG
   * columns as numbers. Pass instants as ISO strings (new Date(ms).toISOString()) for TIMESTAMP params.
   */
  async query<T>(sql: string, params: unknown[] = []): Promise<T[]> {
    const result = await this.pool.query(sql, params);
    return result.rows as T[];
  }

  /**
   * Resolves when QuestDB has applied every WAL transaction of our tables that was committed when this
   * was called, i.e. everything acknowledged so far is visible to SELECT. (Writes arriving meanwhile
   * are not waited for, so this terminates under a steady stream of writes.) Throws if a table's WAL
   * apply is suspended, which is a server-side error.
   */
  async waitForWal(opts: WaitForWalOptions = {}): Promise<void> {
    const tables = [this.tables.klines, this.tables.predictions, this.tables.events];
    await waitForTablesWal((sql, params) => this.query(sql, params), tables, opts);
  }

  /** Drops the three tables (tests clean up their unique tables with this). */
  async dropTables(): Promise<void> {
    this.schemaReady = undefined;
    for (const table of [this.tables.klines, this.tables.predictions, this.tables.events]) {
      await this.pool.query(`DROP TABLE IF EXISTS ${table}`);
    }
  }

  async close(): Promise<void> {
    await this.ilp.close();
    await this.pool.end();
  }
}
