import { assertTableName } from './tables.ts';

/**
 * The model lifecycle's two tables (docs/ARCHITECTURE.md): the trainer writes both, Grafana's
 * "Model lifecycle" dashboard and alert rules read them. Their DDL lives here, beside the other
 * tables', so writers and readers share one contract.
 */
export const DEFAULT_REGISTRY_TABLE = 'model_registry';
export const DEFAULT_DRIFT_TABLE = 'feature_drift';

/** What happened to a model version. One registry row per event. */
export const REGISTRY_EVENTS = ['trained', 'evaluated', 'promoted', 'rejected', 'retired', 'failed'] as const;
export type RegistryEvent = (typeof REGISTRY_EVENTS)[number];

/** Why a cycle ran. */
export const RETRAIN_TRIGGERS = ['schedule', 'once', 'f1_drop', 'drift'] as const;
export type RetrainTrigger = (typeof RETRAIN_TRIGGERS)[number];

/**
 * model_registry: one row per (ts, model_version, event). Ranges are [from, to) instants; metrics
 * of the challenger and of the champion it was compared with are on the same row, null where they
 * do not apply (e.g. a `trained` row has no evaluation yet, a first champion has no rival).
 */
export function registrySchema(table = DEFAULT_REGISTRY_TABLE): string {
  return `CREATE TABLE IF NOT EXISTS ${assertTableName(table)} (
      ts TIMESTAMP,
      event SYMBOL,
      model_version SYMBOL,
      role SYMBOL,
      trigger SYMBOL,
      champion_version SYMBOL,
      train_from TIMESTAMP,
      train_to TIMESTAMP,
      validation_from TIMESTAMP,
      validation_to TIMESTAMP,
      eval_from TIMESTAMP,
      eval_to TIMESTAMP,
      challenger_macro_f1 DOUBLE,
      challenger_switches_per_day DOUBLE,
      challenger_ece DOUBLE,
      champion_macro_f1 DOUBLE,
      champion_switches_per_day DOUBLE,
      champion_ece DOUBLE,
      decision SYMBOL,
      reason STRING,
      artifact_sha256 STRING,
      path STRING
    ) TIMESTAMP(ts) PARTITION BY MONTH WAL DEDUP UPSERT KEYS(ts, model_version, event)`;
}

/**
 * feature_drift: PSI of one model input of one symbol over the 24 h before ts, against the model's
 * training distribution, and the PSI above which that input has drifted (`threshold`: 0.25, or the
 * input's 99th percentile of 24-hour PSI on training days when higher; packages/model drift/).
 */
export function driftSchema(table = DEFAULT_DRIFT_TABLE): string {
  return `CREATE TABLE IF NOT EXISTS ${assertTableName(table)} (
      ts TIMESTAMP,
      symbol SYMBOL,
      feature SYMBOL,
      psi DOUBLE,
      threshold DOUBLE,
      model_version SYMBOL
    ) TIMESTAMP(ts) PARTITION BY DAY WAL DEDUP UPSERT KEYS(ts, symbol, feature)`;
}
