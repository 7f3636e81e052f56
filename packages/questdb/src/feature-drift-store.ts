import type { SenderBuffer } from '@questdb/nodejs-client';
import { isValidSymbol } from '@regime/candles';
import type { QuestDbConfig } from './config.ts';
import { IlpWriter } from './ilp.ts';
import { DEFAULT_DRIFT_TABLE, driftSchema } from './model-lifecycle.ts';
import { timestampParam } from './pg-types.ts';
import type { QuestDb } from './questdb.ts';
import { assertTableName } from './tables.ts';
import { type WaitForWalOptions, waitForTablesWal } from './wal.ts';

/** One feature_drift row: PSI of one model input of one symbol over the 24 h before ts. */
export interface FeatureDriftRow {
  ts: number;
  symbol: string;
  /** The model input's name, e.g. `window.rsi_15m`, `view_bars.net_atr` (packages/model drift/input-names.ts). */
  feature: string;
  psi: number;
  /** The PSI above which this input has drifted (0.25, or its calibrated 99th percentile on training days). */
  threshold: number;
  modelVersion: string;
}

const VERSION_PATTERN = /^[A-Za-z0-9._:+-]{1,64}$/;
/** `<group>.<name>`: letters, digits and underscores, as the model's input names are. */
const FEATURE_PATTERN = /^[a-z][a-z0-9_]*\.[A-Za-z0-9_]{1,80}$/;

export function featureDriftProblem(row: FeatureDriftRow): string | undefined {
  if (!Number.isSafeInteger(row.ts) || row.ts < 0) return `ts ${row.ts} is not an integer epoch-ms instant`;
  if (!isValidSymbol(row.symbol)) return `symbol ${JSON.stringify(row.symbol)} is not a valid symbol`;
  if (typeof row.feature !== 'string' || !FEATURE_PATTERN.test(row.feature))
    return `feature ${JSON.stringify(row.feature)} is not a model input name (<group>.<name>)`;
  if (typeof row.psi !== 'number' || !Number.isFinite(row.psi) || row.psi < 0)
    return `psi ${row.psi} is not a finite number ≥ 0`;
  if (typeof row.threshold !== 'number' || !Number.isFinite(row.threshold) || row.threshold <= 0)
    return `threshold ${row.threshold} is not a finite number > 0`;
  if (typeof row.modelVersion !== 'string' || !VERSION_PATTERN.test(row.modelVersion))
    return `model version ${JSON.stringify(row.modelVersion)} is malformed`;
  return undefined;
}

function writeDriftRow(table: string, b: SenderBuffer, r: FeatureDriftRow): void {
  b.table(table)
    .symbol('symbol', r.symbol)
    .symbol('feature', r.feature)
    .symbol('model_version', r.modelVersion)
    .floatColumn('psi', r.psi)
    .floatColumn('threshold', r.threshold)
    .at(r.ts, 'ms');
}

/**
 * feature_drift: schema (model-lifecycle.ts), ILP writes (acknowledged, validated first: one bad row
 * and nothing of the batch is written) and reads. Key (ts, symbol, feature): recomputing the drift
 * of an hour replaces its rows.
 */
export class FeatureDriftStore {
  private constructor(
    readonly table: string,
    private readonly db: QuestDb,
    private readonly ilp: IlpWriter,
  ) {}

  static async open(
    config: QuestDbConfig,
    db: QuestDb,
    table = DEFAULT_DRIFT_TABLE,
  ): Promise<FeatureDriftStore> {
    assertTableName(table);
    return new FeatureDriftStore(table, db, await IlpWriter.open(config.httpUrl));
  }

  /** CREATE TABLE IF NOT EXISTS: safe at every start-up, concurrently. */
  async ensureSchema(): Promise<void> {
    await this.db.query(driftSchema(this.table));
  }

  /** Upserts drift rows (key: ts, symbol, feature). */
  async write(rows: readonly FeatureDriftRow[]): Promise<void> {
    const table = this.table;
    await this.ilp.writeValidated('feature drift', rows, featureDriftProblem, (b, r) =>
      writeDriftRow(table, b, r),
    );
  }

  /** Rows of one symbol with ts in [fromTs, toTs), by ts then feature. */
  async read(symbol: string, fromTs: number, toTs: number): Promise<FeatureDriftRow[]> {
    const rows = await this.db.query<Record<string, unknown>>(
      `SELECT ts, symbol, feature, psi, threshold, model_version FROM ${this.table}
       WHERE symbol = $1 AND ts >= $2 AND ts < $3 ORDER BY ts, feature`,
      [symbol, timestampParam(fromTs), timestampParam(toTs)],
    );
    return rows.map((r) => ({
      ts: r.ts as number,
      symbol: r.symbol as string,
      feature: r.feature as string,
      psi: r.psi as number,
      threshold: r.threshold as number,
      modelVersion: r.model_version as string,
    }));
  }

  /** Resolves when every acknowledged write is visible to SELECT. */
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
