import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseSymbol } from '@regime/candles';
import { bindHost, loadConfig, parsedList, port, url } from '@regime/service';
import { z } from 'zod';

const TABLE_NAME = /^[a-z_][a-z0-9_]{0,62}$/;
const DAY = 86_400_000;
const repoRoot = resolve(fileURLToPath(new URL('../../..', import.meta.url)));

const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);
const nonNegative = (fallback: number) => z.coerce.number().min(0).default(fallback);
const tableName = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .refine((s) => TABLE_NAME.test(s), { message: `expected a table name matching ${TABLE_NAME.source}` });
const optionalSymbols = z
  .string()
  .optional()
  .transform((s, ctx) => {
    if (s === undefined || s.trim() === '') return undefined;
    try {
      return s.split(',').map((x) => parseSymbol(x.trim()));
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: (error as Error).message });
      return z.NEVER;
    }
  });

/**
 * RETRAIN_EVERY: a duration (`7d`, `12h`, `30m`, or milliseconds) or a 5/6-field cron pattern.
 * BullMQ's job scheduler takes either `every` (ms) or `pattern`.
 */
const schedule = z
  .string()
  .default('7d')
  .transform((s, ctx): { every: number } | { pattern: string } => {
    const text = s.trim();
    const duration = /^(\d+)\s*(ms|s|m|h|d)?$/.exec(text);
    if (duration) {
      const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: DAY }[duration[2] ?? 'ms']!;
      const every = Number(duration[1]) * unit;
      if (every > 0) return { every };
    }
    if (/^(\S+\s+){4,5}\S+$/.test(text)) return { pattern: text };
    ctx.addIssue({ code: 'custom', message: 'expected a duration (7d, 12h, 30m, ms) or a cron pattern' });
    return z.NEVER;
  });

/** The trainer's environment (every variable and default: apps/trainer/README.md). */
export const configSchema = z.object({
  QUESTDB_HTTP: url('http://127.0.0.1:9000', ['http', 'https']),
  QUESTDB_PG_URL: url('postgres://admin:quest@127.0.0.1:8812/qdb', ['postgres', 'postgresql']),
  REDIS_URL: url('redis://127.0.0.1:6379', ['redis', 'rediss']),
  /** The predictor's pairs: trained on unless TRAIN_SYMBOLS says otherwise. */
  SYMBOLS: parsedList('BTCUSDT', parseSymbol),
  TRAIN_SYMBOLS: optionalSymbols,
  /** The recipe: the shipped model's training config unless a test gives a tiny one. */
  TRAIN_CONFIG: z.string().default(resolve(repoRoot, 'packages/model/train.default.json')),
  /** Folder of every model version, and of the `champion` symlink the predictor's MODEL_DIR points at. */
  MODELS_DIR: z.string().default(resolve(repoRoot, 'models')),
  /** The champion of a MODELS_DIR without one (first start): copied in and registered. */
  SEED_MODEL_DIR: z.string().default(resolve(repoRoot, 'packages/model/artifacts/default')),
  KEEP_MODELS: positiveInt(5),
  KLINES_TABLE: tableName('klines'),
  EVENTS_TABLE: tableName('pipeline_events'),
  REGISTRY_TABLE: tableName('model_registry'),
  OUTCOMES_TABLE: tableName('regime_outcomes'),
  DRIFT_TABLE: tableName('feature_drift'),
  PREDICTIONS_TABLE: tableName('regime_predictions'),
  QUEUE_NAME: z
    .string()
    .default('regime-trainer')
    .refine((s) => /^[A-Za-z0-9_-]{1,64}$/.test(s), { message: 'expected letters, digits, _ or -' }),
  RETRAIN_EVERY: schedule,
  /** The evaluation window: the most recent settled days, never fitted or tuned on. */
  EVAL_DAYS: z.coerce.number().positive().default(28),
  /** Validation days just before the evaluation window; default: the recipe's own validation length. */
  VALIDATION_DAYS: z.coerce.number().positive().optional(),
  /** Fewer settled training days than this: the retrain is refused (too little data). */
  MIN_TRAIN_DAYS: z.coerce.number().positive().default(30),
  PROMOTE_F1_TOLERANCE: nonNegative(0.01),
  /** Switches/day limit as a multiple of the labels' own switches/day on the evaluation window. */
  PROMOTE_MAX_SWITCH_RATIO: z.coerce.number().positive().default(1.5),
  PROMOTE_MAX_ECE: z.coerce.number().positive().default(0.05),
  /** Live macro-F1 (7 days of regime_outcomes) this far below the champion's evaluation macro-F1 retrains now. */
  RETRAIN_ON_DROP: nonNegative(0.1),
  /** How often the live macro-F1 is checked (ms). */
  F1_CHECK_EVERY_MS: positiveInt(3_600_000),
  /** Nice value of the training child (0 = as the trainer, 19 = lowest priority). */
  TRAIN_NICE: z.coerce.number().int().min(0).max(19).default(19),
  /** BullMQ lock of a training job (wall ms): a killed trainer's job is failed as stalled after about this long. */
  TRAIN_LOCK_MS: positiveInt(60_000),
  METRICS_PORT: port(9467),
  METRICS_HOST: bindHost('127.0.0.1'),
});

export type TrainerEnv = z.infer<typeof configSchema>;

export interface TrainerConfig {
  questdb: { httpUrl: string; pgUrl: string };
  redisUrl: string;
  tables: {
    klines: string;
    events: string;
    registry: string;
    outcomes: string;
    drift: string;
    predictions: string;
  };
  symbols: string[];
  trainConfigPath: string;
  modelsDir: string;
  seedModelDir: string;
  keepModels: number;
  queueName: string;
  schedule: { every: number } | { pattern: string };
  evalDays: number;
  validationDays: number | undefined;
  minTrainDays: number;
  promotion: { f1Tolerance: number; maxSwitchRatio: number; maxEce: number };
  retrainOnDrop: number;
  f1CheckEveryMs: number;
  trainNice: number;
  lockMs: number;
  metricsPort: number;
  metricsHost: string;
  /** The environment the config was read from: handed to the sandboxed training child, which reads it again. */
  env: Record<string, string>;
}

export function toTrainerConfig(env: TrainerEnv, raw: NodeJS.ProcessEnv): TrainerConfig {
  return {
    questdb: { httpUrl: env.QUESTDB_HTTP, pgUrl: env.QUESTDB_PG_URL },
    redisUrl: env.REDIS_URL,
    tables: {
      klines: env.KLINES_TABLE,
      events: env.EVENTS_TABLE,
      registry: env.REGISTRY_TABLE,
      outcomes: env.OUTCOMES_TABLE,
      drift: env.DRIFT_TABLE,
      predictions: env.PREDICTIONS_TABLE,
    },
    symbols: env.TRAIN_SYMBOLS ?? env.SYMBOLS,
    trainConfigPath: resolve(env.TRAIN_CONFIG),
    modelsDir: resolve(env.MODELS_DIR),
    seedModelDir: resolve(env.SEED_MODEL_DIR),
    keepModels: env.KEEP_MODELS,
    queueName: env.QUEUE_NAME,
    schedule: env.RETRAIN_EVERY,
    evalDays: env.EVAL_DAYS,
    validationDays: env.VALIDATION_DAYS,
    minTrainDays: env.MIN_TRAIN_DAYS,
    promotion: {
      f1Tolerance: env.PROMOTE_F1_TOLERANCE,
      maxSwitchRatio: env.PROMOTE_MAX_SWITCH_RATIO,
      maxEce: env.PROMOTE_MAX_ECE,
    },
    retrainOnDrop: env.RETRAIN_ON_DROP,
    f1CheckEveryMs: env.F1_CHECK_EVERY_MS,
    trainNice: env.TRAIN_NICE,
    lockMs: env.TRAIN_LOCK_MS,
    metricsPort: env.METRICS_PORT,
    metricsHost: env.METRICS_HOST,
    env: Object.fromEntries(
      Object.entries(raw).filter((e): e is [string, string] => typeof e[1] === 'string'),
    ),
  };
}

/** Reads and validates the environment; throws ConfigError listing every bad variable. */
export function loadTrainerConfig(env: NodeJS.ProcessEnv = process.env): TrainerConfig {
  return toTrainerConfig(loadConfig(configSchema, env), env);
}
