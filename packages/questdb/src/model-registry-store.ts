import type { SenderBuffer } from '@questdb/nodejs-client';
import type { QuestDbConfig } from './config.ts';
import { IlpWriter } from './ilp.ts';
import {
  DEFAULT_REGISTRY_TABLE,
  REGISTRY_EVENTS,
  RETRAIN_TRIGGERS,
  type RegistryEvent,
  type RetrainTrigger,
  registrySchema,
} from './model-lifecycle.ts';
import type { QuestDb } from './questdb.ts';
import { assertTableName } from './tables.ts';
import { type WaitForWalOptions, waitForTablesWal } from './wal.ts';

/** A [from, to) range of instants (epoch ms). */
export interface InstantRange {
  from: number;
  to: number;
}

/** The three numbers promotion compares, of one model on the evaluation window. */
export interface RegistryMetrics {
  macroF1: number;
  switchesPerDay: number;
  ece: number;
}

/** One model_registry row: one event of one model version (model-lifecycle.ts). */
export interface RegistryRow {
  ts: number;
  event: RegistryEvent;
  modelVersion: string;
  role: 'champion' | 'challenger';
  trigger?: RetrainTrigger;
  /** The champion this challenger was compared with (or replaced). */
  championVersion?: string;
  train?: InstantRange;
  validation?: InstantRange;
  evaluation?: InstantRange;
  challenger?: RegistryMetrics;
  champion?: RegistryMetrics;
  decision?: 'promoted' | 'rejected';
  reason: string;
  artifactSha256?: string;
  path?: string;
}

const VERSION_PATTERN = /^[A-Za-z0-9._:+-]{1,64}$/;
const isInstant = (v: number) => Number.isSafeInteger(v) && v >= 0;

export function registryRowProblem(row: RegistryRow): string | undefined {
  if (!isInstant(row.ts)) return `ts ${row.ts} is not an integer epoch-ms instant`;
  if (!(REGISTRY_EVENTS as readonly string[]).includes(row.event)) return `event "${row.event}" is unknown`;
  if (!VERSION_PATTERN.test(row.modelVersion))
    return `model version ${JSON.stringify(row.modelVersion)} is malformed`;
  if (row.championVersion !== undefined && !VERSION_PATTERN.test(row.championVersion))
    return `champion version ${JSON.stringify(row.championVersion)} is malformed`;
  if (row.role !== 'champion' && row.role !== 'challenger')
    return `role "${row.role}" is not champion|challenger`;
  if (row.trigger !== undefined && !(RETRAIN_TRIGGERS as readonly string[]).includes(row.trigger))
    return `trigger "${row.trigger}" is unknown`;
  for (const [name, range] of Object.entries({
    train: row.train,
    validation: row.validation,
    evaluation: row.evaluation,
  })) {
    if (range && !(isInstant(range.from) && isInstant(range.to) && range.from < range.to))
      return `${name} range ${range.from}..${range.to} is not a non-empty range of instants`;
  }
  for (const [name, m] of Object.entries({ challenger: row.challenger, champion: row.champion })) {
    if (m && ![m.macroF1, m.switchesPerDay, m.ece].every(Number.isFinite))
      return `${name} metrics are not all finite`;
  }
  if (row.artifactSha256 !== undefined && !/^[0-9a-f]{64}$/.test(row.artifactSha256))
    return 'artifact sha256 is not 64 hex digits';
  return undefined;
}

function writeRegistryRow(table: string, b: SenderBuffer, r: RegistryRow): void {
  b.table(table).symbol('event', r.event).symbol('model_version', r.modelVersion).symbol('role', r.role);
  if (r.trigger) b.symbol('trigger', r.trigger);
  if (r.championVersion) b.symbol('champion_version', r.championVersion);
  if (r.decision) b.symbol('decision', r.decision);
  const range = (prefix: string, p: InstantRange | undefined) => {
    if (p) b.timestampColumn(`${prefix}_from`, p.from, 'ms').timestampColumn(`${prefix}_to`, p.to, 'ms');
  };
  range('train', r.train);
  range('validation', r.validation);
  range('eval', r.evaluation);
  const metrics = (prefix: string, m: RegistryMetrics | undefined) => {
    if (!m) return;
    b.floatColumn(`${prefix}_macro_f1`, m.macroF1)
      .floatColumn(`${prefix}_switches_per_day`, m.switchesPerDay)
      .floatColumn(`${prefix}_ece`, m.ece);
  };
  metrics('challenger', r.challenger);
  metrics('champion', r.champion);
  b.stringColumn('reason', r.reason);
  if (r.artifactSha256) b.stringColumn('artifact_sha256', r.artifactSha256);
  if (r.path) b.stringColumn('path', r.path);
  b.at(r.ts, 'ms');
}

const num = (v: unknown) => (v === null || v === undefined ? undefined : Number(v));

function rowFromSql(r: Record<string, unknown>): RegistryRow {
  const range = (prefix: string): InstantRange | undefined =>
    r[`${prefix}_from`] === null
      ? undefined
      : { from: Number(r[`${prefix}_from`]), to: Number(r[`${prefix}_to`]) };
  const metrics = (prefix: string): RegistryMetrics | undefined =>
    r[`${prefix}_macro_f1`] === null
      ? undefined
      : {
          macroF1: num(r[`${prefix}_macro_f1`])!,
          switchesPerDay: num(r[`${prefix}_switches_per_day`])!,
          ece: num(r[`${prefix}_ece`])!,
        };
  const optional = <T>(v: unknown) => (v === null ? undefined : (v as T));
  return {
    ts: Number(r.ts),
    event: r.event as RegistryEvent,
    modelVersion: r.model_version as string,
    role: r.role as RegistryRow['role'],
    trigger: optional(r.trigger),
    championVersion: optional(r.champion_version),
    train: range('train'),
    validation: range('validation'),
    evaluation: range('eval'),
    challenger: metrics('challenger'),
    champion: metrics('champion'),
    decision: optional(r.decision),
    reason: (r.reason as string | null) ?? '',
    artifactSha256: optional(r.artifact_sha256),
    path: optional(r.path),
  };
}

/**
 * model_registry: schema, acknowledged ILP writes (validated first: one bad row and nothing is
 * written) and reads. Reads go through the given QuestDb's pg pool, as OutcomeStore's do.
 */
export class ModelRegistryStore {
  private constructor(
    readonly table: string,
    private readonly db: QuestDb,
    private readonly ilp: IlpWriter,
  ) {}

  static async open(
    config: QuestDbConfig,
    db: QuestDb,
    table = DEFAULT_REGISTRY_TABLE,
  ): Promise<ModelRegistryStore> {
    assertTableName(table);
    return new ModelRegistryStore(table, db, await IlpWriter.open(config.httpUrl));
  }

  async ensureSchema(): Promise<void> {
    await this.db.query(registrySchema(this.table));
  }

  async write(rows: readonly RegistryRow[]): Promise<void> {
    const table = this.table;
    await this.ilp.writeValidated('registry rows', rows, registryRowProblem, (b, r) =>
      writeRegistryRow(table, b, r),
    );
  }

  /** Every row, oldest first (a registry holds a few rows per retrain: small). */
  async readAll(): Promise<RegistryRow[]> {
    const rows = await this.db.query<Record<string, unknown>>(`SELECT * FROM ${this.table} ORDER BY ts`);
    return rows.map(rowFromSql);
  }

  /** The newest row of one version and event, if any. */
  async latest(modelVersion: string, event: RegistryEvent): Promise<RegistryRow | undefined> {
    const rows = await this.db.query<Record<string, unknown>>(
      `SELECT * FROM ${this.table} WHERE model_version = $1 AND event = $2 ORDER BY ts DESC LIMIT 1`,
      [modelVersion, event],
    );
    return rows[0] ? rowFromSql(rows[0]) : undefined;
  }

  waitForWal(opts: WaitForWalOptions = {}): Promise<void> {
    return waitForTablesWal((sql, params) => this.db.query(sql, params), [this.table], opts);
  }

  async drop(): Promise<void> {
    await this.db.query(`DROP TABLE IF EXISTS ${this.table}`);
  }

  async close(): Promise<void> {
    await this.ilp.close();
  }
}
