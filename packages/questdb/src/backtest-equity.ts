import type pg from 'pg';
import type { QuestDbConfig } from './config.ts';
import { openConnection } from './connection.ts';
import type { IlpWriter } from './ilp.ts';
import { assertTableName } from './tables.ts';
import { type WaitForWalOptions, waitForTablesWal } from './wal.ts';

export const DEFAULT_BACKTEST_EQUITY_TABLE = 'backtest_equity';

/** One point of one strategy's equity curve in one backtest run. */
export interface BacktestEquityRow {
  /** End of the 5-minute step (T + 5m), epoch ms. */
  ts: number;
  /** Identifies the run: re-running the same configuration replaces its rows. */
  run: string;
  symbol: string;
  strategy: string;
  equity: number;
  /** Fall from the running peak, positive fraction. */
  drawdown: number;
  /** Exposure held over the step. */
  position: number;
  modelVersion: string;
  createdAt: number;
}

/** Names of runs, symbols, strategies (`trend_gated@causal`) and models: no quote, no space. */
const NAME = /^[A-Za-z0-9_.:@-]{1,128}$/;

function rowProblem(r: BacktestEquityRow): string | undefined {
  if (!Number.isSafeInteger(r.ts)) return `ts ${r.ts} is not an epoch ms instant`;
  for (const key of ['run', 'symbol', 'strategy', 'modelVersion'] as const) {
    if (!NAME.test(r[key])) return `${key} ${JSON.stringify(r[key])} is not a name (${NAME.source})`;
  }
  for (const key of ['equity', 'drawdown', 'position'] as const) {
    if (!Number.isFinite(r[key])) return `${key} ${r[key]} is not a finite number`;
  }
  return undefined;
}

/**
 * The backtest_equity table (docs/ARCHITECTURE.md): WAL, PARTITION BY MONTH (a 6-month run of a few
 * symbols and strategies is ~10⁶ rows, too few for daily partitions), DEDUP UPSERT KEYS(ts, run,
 * symbol, strategy) so a re-run of the same configuration replaces its curve instead of doubling it.
 * Written by ILP over HTTP (acknowledged), created first so ILP never infers column types.
 */
export class BacktestEquityTable {
  private constructor(
    readonly table: string,
    private readonly pool: pg.Pool,
    private readonly ilp: IlpWriter,
  ) {}

  static async connect(
    config: QuestDbConfig,
    table = DEFAULT_BACKTEST_EQUITY_TABLE,
  ): Promise<BacktestEquityTable> {
    const name = assertTableName(table);
    const { pool, ilp } = await openConnection(config, { maxConnections: 2 });
    return new BacktestEquityTable(name, pool, ilp);
  }

  async ensureSchema(): Promise<void> {
    await this.pool.query(`CREATE TABLE IF NOT EXISTS ${this.table} (
      ts TIMESTAMP,
      run SYMBOL,
      symbol SYMBOL,
      strategy SYMBOL,
      equity DOUBLE,
      drawdown DOUBLE,
      position DOUBLE,
      model_version SYMBOL,
      created_at TIMESTAMP
    ) TIMESTAMP(ts) PARTITION BY MONTH WAL DEDUP UPSERT KEYS(ts, run, symbol, strategy)`);
  }

  /** Validates every row first (nothing is written when one is bad), then upserts them. */
  async write(rows: readonly BacktestEquityRow[]): Promise<void> {
    for (let i = 0; i < rows.length; i++) {
      const problem = rowProblem(rows[i]!);
      if (problem)
        throw new Error(`refusing to write backtest equity: row ${i} of ${rows.length}: ${problem}`);
    }
    if (rows.length === 0) return;
    await this.ensureSchema();
    const table = this.table;
    await this.ilp.write(
      rows,
      this.ilp.clientEncoder<BacktestEquityRow>((b, r) => {
        b.table(table)
          .symbol('run', r.run)
          .symbol('symbol', r.symbol)
          .symbol('strategy', r.strategy)
          .symbol('model_version', r.modelVersion)
          .floatColumn('equity', r.equity)
          .floatColumn('drawdown', r.drawdown)
          .floatColumn('position', r.position)
          .timestampColumn('created_at', r.createdAt, 'ms')
          .at(r.ts, 'ms');
      }),
    );
  }

  /** Resolves once every WAL transaction committed so far is visible to SELECT. */
  waitForWal(opts: WaitForWalOptions = {}): Promise<void> {
    return waitForTablesWal((sql, params) => this.query(sql, params), [this.table], opts);
  }

  async query<T>(sql: string, params: unknown[] = []): Promise<T[]> {
    return (await this.pool.query(sql, params)).rows as T[];
  }

  /** Drops the table (tests clean up their unique tables with this). */
  async drop(): Promise<void> {
    await this.pool.query(`DROP TABLE IF EXISTS ${this.table}`);
  }

  async close(): Promise<void> {
    await this.ilp.close();
    await this.pool.end();
  }
}
