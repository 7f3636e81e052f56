import type { ExistingColumn } from './migrations.ts';
import type { TableNames } from './tables.ts';

/**
 * DDL for the SQL contract in docs/ARCHITECTURE.md. `interval` is quoted everywhere because it is
 * a type keyword in QuestDB's SQL; QuestDB accepts it bare today, but quoting costs nothing.
 * Table names are validated by assertTableName before they get here.
 */
export function schemaStatements(tables: TableNames): string[] {
  return [
    `CREATE TABLE IF NOT EXISTS ${tables.klines} (
      ts TIMESTAMP,
      symbol SYMBOL,
      "interval" SYMBOL,
      open DOUBLE,
      high DOUBLE,
      low DOUBLE,
      close DOUBLE,
      volume DOUBLE,
      quote_volume DOUBLE,
      taker_buy_base_volume DOUBLE,
      taker_buy_quote_volume DOUBLE,
      trades LONG,
      close_time TIMESTAMP,
      closed BOOLEAN
    ) TIMESTAMP(ts) PARTITION BY DAY WAL DEDUP UPSERT KEYS(ts, symbol, "interval")`,
    `CREATE TABLE IF NOT EXISTS ${tables.predictions} (
      ts TIMESTAMP,
      symbol SYMBOL,
      mode SYMBOL,
      regime SYMBOL,
      confidence DOUBLE,
      p_strong_trend DOUBLE,
      p_weak_trend DOUBLE,
      p_range DOUBLE,
      p_squeeze DOUBLE,
      p_volatility_spike DOUBLE,
      p_choppy_high_vol DOUBLE,
      model_version SYMBOL,
      latency_ms DOUBLE,
      created_at TIMESTAMP
    ) TIMESTAMP(ts) PARTITION BY DAY WAL DEDUP UPSERT KEYS(ts, symbol, mode)`,
    `CREATE TABLE IF NOT EXISTS ${tables.events} (
      ts TIMESTAMP,
      service SYMBOL,
      kind SYMBOL,
      symbol SYMBOL,
      "interval" SYMBOL,
      count LONG,
      detail STRING,
      exchange_ts TIMESTAMP,
      event_id VARCHAR
    ) TIMESTAMP(ts) PARTITION BY DAY WAL DEDUP UPSERT KEYS(ts, event_id)`,
  ];
}

/**
 * What a pipeline_events table created before `exchange_ts` and `event_id` existed needs to match
 * the contract. Only the missing parts: QuestDB refuses a no-op ALTER on a WAL table.
 */
export function eventsMigrations(table: string, columns: readonly ExistingColumn[]): string[] {
  const has = (name: string) => columns.find((c) => c.column === name);
  const out: string[] = [];
  if (!has('exchange_ts')) out.push(`ALTER TABLE ${table} ADD COLUMN exchange_ts TIMESTAMP`);
  if (!has('event_id')) out.push(`ALTER TABLE ${table} ADD COLUMN event_id VARCHAR`);
  if (!has('event_id')?.upsertKey) out.push(`ALTER TABLE ${table} DEDUP ENABLE UPSERT KEYS(ts, event_id)`);
  return out;
}
