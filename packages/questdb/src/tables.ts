import { randomBytes } from 'node:crypto';

/** The three tables the system uses. Names are per instance so tests can run in parallel on one QuestDB. */
export interface TableNames {
  klines: string;
  predictions: string;
  events: string;
}

export const DEFAULT_TABLES: Readonly<TableNames> = Object.freeze({
  klines: 'klines',
  predictions: 'regime_predictions',
  events: 'pipeline_events',
});

/**
 * Table names end up inside SQL text (they cannot be bound parameters), so only a conservative
 * identifier shape is accepted: lower-case letters, digits and underscores, at most 63 characters.
 */
const TABLE_NAME_PATTERN = /^[a-z_][a-z0-9_]{0,62}$/;

export function assertTableName(name: string): string {
  if (typeof name !== 'string' || !TABLE_NAME_PATTERN.test(name)) {
    throw new Error(
      `invalid table name ${JSON.stringify(name)}: expected ${TABLE_NAME_PATTERN.source} ` +
        '(lower-case letters, digits and underscores, starting with a letter or underscore, at most 63 characters)',
    );
  }
  return name;
}

export function assertTableNames(tables: TableNames): TableNames {
  return {
    klines: assertTableName(tables.klines),
    predictions: assertTableName(tables.predictions),
    events: assertTableName(tables.events),
  };
}

/** Fresh, collision-free table names for one test (e.g. klines_t1a2b3c4d5e6). */
export function uniqueTableNames(prefix = 't'): TableNames {
  const suffix = `${prefix}${randomBytes(6).toString('hex')}`;
  return assertTableNames({
    klines: `${DEFAULT_TABLES.klines}_${suffix}`,
    predictions: `${DEFAULT_TABLES.predictions}_${suffix}`,
    events: `${DEFAULT_TABLES.events}_${suffix}`,
  });
}
