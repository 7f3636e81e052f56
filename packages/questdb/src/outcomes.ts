import type { SenderBuffer } from '@questdb/nodejs-client';
import { isValidSymbol, REGIME_IDS, type RegimeId } from '@regime/candles';
import type { QuestDbConfig } from './config.ts';
import { IlpWriter } from './ilp.ts';
import { type ExistingColumn, existingColumns, runMigrations } from './migrations.ts';
import { timestampParam } from './pg-types.ts';
import type { QuestDb } from './questdb.ts';
import { assertTableName } from './tables.ts';
import { type WaitForWalOptions, waitForTablesWal } from './wal.ts';

export const DEFAULT_OUTCOMES_TABLE = 'regime_outcomes';

/**
 * One row of regime_outcomes: an official prediction next to the regime that was realised (the
 * settled labeler-2 label of the same as-of instant). Every field follows from the prediction and
 * the candles of its settle window, so recomputing a row gives the same row.
 */
export interface OutcomeRow {
  /** The prediction's as-of instant T. */
  ts: number;
  symbol: string;
  modelVersion: string;
  /** The predicted (most probable) regime. */
  predicted: RegimeId;
  /** The prediction's six probabilities. */
  probabilities: Record<RegimeId, number>;
  /** The settled regime of T. */
  realised: RegimeId;
  correct: boolean;
  /** When T's settle window closed (deterministic: T's bar close + settle bars), not when the row was written. */
  settledAt: number;
  labelerVersion: string;
  /**
   * What the 4 hours after T did (@regime/labeler forwardOutcome on the settle window's candles):
   * null on rows written before these columns existed, or when a ratio is undefined (a flat market).
   */
  next4h: Next4h | null;
}

/** The realised next 4 hours of an instant T: what a written regime turned out to mean. */
export interface Next4h {
  /** Realised volatility of the 16 fifteen-minute steps after T ÷ that of the 15 days before T. */
  volRatio: number;
  /** |net move| ÷ Σ |step move| over the 4 hours (1 = a straight line). */
  efficiency: number;
  /** close(T + 4 h) ÷ close(T) − 1. */
  return: number;
}

/** The next-4-hour columns, added to tables created before they existed (outcomesMigrations). */
const NEXT_4H_COLUMNS = {
  volRatio: 'next_4h_vol_ratio',
  efficiency: 'next_4h_efficiency',
  return: 'next_4h_return',
} as const;

const VERSION_PATTERN = /^[A-Za-z0-9._:+-]{1,64}$/;
const isInstant = (v: number) => Number.isSafeInteger(v) && v >= 0;
const isRegimeId = (v: string) => (REGIME_IDS as readonly string[]).includes(v);

export function outcomeProblem(row: OutcomeRow): string | undefined {
  if (!isInstant(row.ts)) return `ts ${row.ts} is not an integer epoch-ms instant`;
  if (!isValidSymbol(row.symbol)) return `symbol ${JSON.stringify(row.symbol)} is not a valid symbol`;
  if (!VERSION_PATTERN.test(row.modelVersion))
    return `model version ${JSON.stringify(row.modelVersion)} is malformed`;
  if (!VERSION_PATTERN.test(row.labelerVersion))
    return `labeler version ${JSON.stringify(row.labelerVersion)} is malformed`;
  if (!isRegimeId(row.predicted)) return `predicted "${row.predicted}" is not a regime id`;
  if (!isRegimeId(row.realised)) return `realised "${row.realised}" is not a regime id`;
  if (row.correct !== (row.predicted === row.realised)) return 'correct does not match predicted = realised';
  for (const id of REGIME_IDS) {
    const p = row.probabilities?.[id];
    if (typeof p !== 'number' || !Number.isFinite(p) || p < 0 || p > 1)
      return `probability of ${id} (${p}) is not within [0, 1]`;
  }
  if (!isInstant(row.settledAt) || row.settledAt <= row.ts)
    return `settledAt ${row.settledAt} is not an instant after ts`;
  if (row.next4h === undefined) return 'next4h is missing (null when unknown)';
  if (row.next4h !== null) {
    const { volRatio, efficiency, return: r } = row.next4h;
    if (!(Number.isFinite(volRatio) && volRatio >= 0)) return `next4h.volRatio ${volRatio} is not ≥ 0`;
    if (!(efficiency >= 0 && efficiency <= 1)) return `next4h.efficiency ${efficiency} is not within [0, 1]`;
    if (!(Number.isFinite(r) && r > -1)) return `next4h.return ${r} is not a return above −100 %`;
  }
  return undefined;
}

/** DDL of regime_outcomes (docs/ARCHITECTURE.md). One official prediction per (ts, symbol): those are the keys. */
export function outcomesSchema(table: string): string {
  return `CREATE TABLE IF NOT EXISTS ${assertTableName(table)} (
      ts TIMESTAMP,
      symbol SYMBOL,
      model_version SYMBOL,
      predicted SYMBOL,
      ${REGIME_IDS.map((id) => `p_${id} DOUBLE`).join(',\n      ')},
      realised SYMBOL,
      correct BOOLEAN,
      settled_at TIMESTAMP,
      labeler_version SYMBOL,
      ${Object.values(NEXT_4H_COLUMNS)
        .map((c) => `${c} DOUBLE`)
        .join(',\n      ')}
    ) TIMESTAMP(ts) PARTITION BY DAY WAL DEDUP UPSERT KEYS(ts, symbol)`;
}

/** What a regime_outcomes table created before the next-4-hour columns needs: only the missing ones. */
export function outcomesMigrations(table: string, columns: readonly ExistingColumn[]): string[] {
  return Object.values(NEXT_4H_COLUMNS)
    .filter((name) => !columns.some((c) => c.column === name))
    .map((name) => `ALTER TABLE ${assertTableName(table)} ADD COLUMN ${name} DOUBLE`);
}

function writeOutcomeRow(table: string, b: SenderBuffer, r: OutcomeRow): void {
  b.table(table)
    .symbol('symbol', r.symbol)
    .symbol('model_version', r.modelVersion)
    .symbol('predicted', r.predicted)
    .symbol('realised', r.realised)
    .symbol('labeler_version', r.labelerVersion);
  for (const id of REGIME_IDS) b.floatColumn(`p_${id}`, r.probabilities[id]);
  if (r.next4h) {
    b.floatColumn(NEXT_4H_COLUMNS.volRatio, r.next4h.volRatio)
      .floatColumn(NEXT_4H_COLUMNS.efficiency, r.next4h.efficiency)
      .floatColumn(NEXT_4H_COLUMNS.return, r.next4h.return);
  }
  b.booleanColumn('correct', r.correct).timestampColumn('settled_at', r.settledAt, 'ms').at(r.ts, 'ms');
}

/**
 * regime_outcomes: schema, ILP writes (acknowledged, validated first: one bad row and nothing of the
 * batch is written) and reads. Reads go through the given QuestDb's pg pool; the table name is
 * separate from QuestDb's three so only the scorer creates it.
 */
export class OutcomeStore {
  private constructor(
    readonly table: string,
    private readonly db: QuestDb,
    private readonly ilp: IlpWriter,
  ) {}

  static async open(
    config: QuestDbConfig,
    db: QuestDb,
    table = DEFAULT_OUTCOMES_TABLE,
  ): Promise<OutcomeStore> {
    assertTableName(table);
    return new OutcomeStore(table, db, await IlpWriter.open(config.httpUrl));
  }

  /** CREATE TABLE IF NOT EXISTS, then the columns an older table lacks: safe at every start-up, concurrently. */
  async ensureSchema(): Promise<void> {
    await this.db.query(outcomesSchema(this.table));
    const query = <T>(sql: string) => this.db.query<T>(sql);
    await runMigrations(query, outcomesMigrations(this.table, await existingColumns(query, this.table)));
  }

  /** Upserts outcome rows (key: ts, symbol). */
  async write(rows: readonly OutcomeRow[]): Promise<void> {
    const table = this.table;
    await this.ilp.writeValidated('outcomes', rows, outcomeProblem, (b, r) => writeOutcomeRow(table, b, r));
  }

  /** Outcome rows of one symbol with ts in [fromTs, toTs), ascending. */
  async read(symbol: string, fromTs: number, toTs: number): Promise<OutcomeRow[]> {
    const rows = await this.db.query<Record<string, unknown>>(
      `SELECT ts, symbol, model_version, predicted, ${REGIME_IDS.map((id) => `p_${id}`).join(', ')},
              realised, correct, settled_at, labeler_version, ${Object.values(NEXT_4H_COLUMNS).join(', ')}
       FROM ${this.table} WHERE symbol = $1 AND ts >= $2 AND ts < $3 ORDER BY ts`,
      [symbol, timestampParam(fromTs), timestampParam(toTs)],
    );
    return rows.map((r) => ({
      ts: r.ts as number,
      symbol: r.symbol as string,
      modelVersion: r.model_version as string,
      predicted: r.predicted as RegimeId,
      probabilities: Object.fromEntries(REGIME_IDS.map((id) => [id, r[`p_${id}`] as number])) as Record<
        RegimeId,
        number
      >,
      realised: r.realised as RegimeId,
      correct: r.correct as boolean,
      settledAt: r.settled_at as number,
      labelerVersion: r.labeler_version as string,
      next4h:
        r[NEXT_4H_COLUMNS.volRatio] === null
          ? null
          : {
              volRatio: r[NEXT_4H_COLUMNS.volRatio] as number,
              efficiency: r[NEXT_4H_COLUMNS.efficiency] as number,
              return: r[NEXT_4H_COLUMNS.return] as number,
            },
    }));
  }

  /** The as-of instants of one symbol that have an outcome row, with ts in [fromTs, toTs). */
  async scoredInstants(symbol: string, fromTs: number, toTs: number): Promise<Set<number>> {
    const rows = await this.db.query<{ ts: number }>(
      `SELECT ts FROM ${this.table} WHERE symbol = $1 AND ts >= $2 AND ts < $3`,
      [symbol, timestampParam(fromTs), timestampParam(toTs)],
    );
    return new Set(rows.map((r) => r.ts));
  }

  /** Resolves when every acknowledged outcome write is visible to SELECT. */
  waitForWal(opts: WaitForWalOptions = {}): Promise<void> {
    return waitForTablesWal((sql, params) => this.db.query(sql, params), [this.table], opts);
  }

  async drop(): Promise<void> {
    await this.db.query(`DROP TABLE IF EXISTS ${this.table}`);
  }

  /** Closes the ILP writer (the QuestDb it reads through is its owner's to close). */
  async close(): Promise<void> {
    await this.ilp.close();
  }
}
