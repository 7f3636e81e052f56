import { parseSymbol } from '@regime/candles';
import { bindHost, csv, loadConfig, parsedList, port, url } from '@regime/service';
import { z } from 'zod';

const TABLE_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);
const nonNegativeInt = (fallback: number) => z.coerce.number().int().min(0).default(fallback);
const tableName = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .refine((s) => TABLE_NAME.test(s), {
      message: `expected a table name matching ${TABLE_NAME.source}`,
    });

/**
 * The predictor's environment. Times are milliseconds. "Virtual" times follow the clock the
 * predictor runs on (CLOCK): wall time in production, the exchange's clock against the replay
 * exchange at accelerated speed; "wall" times are always real milliseconds.
 */
export const configSchema = z.object({
  QUESTDB_HTTP: url('http://127.0.0.1:9000', ['http', 'https']),
  QUESTDB_PG_URL: url('postgres://admin:quest@127.0.0.1:8812/qdb', ['postgres', 'postgresql']),
  REDIS_URL: url('redis://127.0.0.1:6379', ['redis', 'rediss']),
  BINANCE_REST_URL: url('https://api.binance.com', ['http', 'https']),
  SYMBOLS: parsedList('BTCUSDT', parseSymbol),
  /** Which predictions to schedule: official (5-minute, closed candles), live (every minute), or both. */
  MODES: csv('official,live').pipe(
    z.array(z.enum(['official', 'live'])).min(1, 'expected official and/or live'),
  ),
  /** Model artifact folder; empty = the model package's default (the shipped model). May be a symlink (the trainer's MODELS_DIR/champion). */
  MODEL_DIR: z.string().optional(),
  /**
   * A model whose training data ended more than this many days ago (clock time) keeps predicting but
   * is flagged expired: predictor_model_age_days, a model_expired pipeline_events row a day, /healthz.
   */
  MODEL_MAX_AGE_DAYS: z.coerce.number().positive().default(21),
  KLINES_TABLE: tableName('klines'),
  PREDICTIONS_TABLE: tableName('regime_predictions'),
  EVENTS_TABLE: tableName('pipeline_events'),
  /** BullMQ queue name; tests use a unique one so runs never share jobs. */
  QUEUE_NAME: z
    .string()
    .default('regime-predictor')
    .refine((s) => /^[A-Za-z0-9_-]{1,64}$/.test(s), { message: 'expected letters, digits, _ or -' }),
  /** Virtual ms after a 5m close before the official tick runs (gives the collector time to write). */
  OFFICIAL_OFFSET_MS: nonNegativeInt(3000),
  /** Virtual ms after a minute boundary before the live tick runs. */
  LIVE_OFFSET_MS: nonNegativeInt(1000),
  /** How far back (virtual ms) each official tick looks for as-of instants without a row. */
  OFFICIAL_CATCHUP_MS: positiveInt(2 * 3_600_000),
  /** Same for live rows: short, a live row far in the past is of little use. */
  LIVE_CATCHUP_MS: positiveInt(10 * 60_000),
  /**
   * A live job that runs more than this long (virtual ms) after its instant writes no row and is
   * recorded as missed (reason stale), e.g. one taken over after a crash. Default: twice
   * LIVE_CATCHUP_MS, so what a tick enqueues at the edge of its window still has time to run.
   */
  LIVE_MAX_AGE_MS: z.coerce.number().int().positive().optional(),
  /**
   * Instants that leave the catch-up window without a row are recorded as missed (outside_catchup).
   * After a start with nothing in Redis the sweep looks back at most this far (virtual ms).
   */
  MISSED_LOOKBACK_MS: positiveInt(24 * 3_600_000),
  METRICS_PORT: port(9465),
  /** Address of /healthz and /metrics: this machine only unless opened (compose: 0.0.0.0 in its network). */
  METRICS_HOST: bindHost('127.0.0.1'),
  /** Prediction jobs in flight per process; their model calls are batched together. */
  CONCURRENCY: positiveInt(64),
  /** Largest batch handed to the model at once. */
  BATCH_MAX: positiveInt(256),
  /** How long a model batch may wait for jobs still reading their candles (wall ms). */
  BATCH_WAIT_MS: nonNegativeInt(20),
  /** Attempts per prediction job before it is recorded as missed (candles never arrived). */
  RETRY_ATTEMPTS: positiveInt(8),
  /** First retry delay (wall ms); doubles on every attempt. */
  RETRY_BACKOFF_MS: positiveInt(1000),
  /** BullMQ job lock (wall ms): a killed worker's job is taken over after about this long. */
  LOCK_MS: positiveInt(30_000),
  /**
   * /healthz turns not ok when no prediction has succeeded for this many intervals of the most
   * frequent mode scheduled (1 minute with live, 5 minutes with official only), in clock time.
   */
  UNHEALTHY_AFTER_INTERVALS: positiveInt(3),
  /** wall: the machine's clock. exchange: follow BINANCE_REST_URL /api/v3/time (replay exchange at speed). */
  CLOCK: z.enum(['wall', 'exchange']).default('wall'),
  /**
   * With CLOCK=wall the predictor compares its clock with the exchange's (BINANCE_REST_URL) at start-up
   * and every minute: beyond this difference it logs an error and /healthz is not ok.
   */
  CLOCK_SKEW_TOLERANCE_MS: positiveInt(5 * 60_000),
  /** Virtual ms per wall ms, used to extrapolate the exchange clock between polls (replay speed). */
  TIME_SCALE: z.coerce.number().positive().default(1),
  /** Wall ms between polls of the exchange clock. */
  CLOCK_POLL_MS: positiveInt(1000),
  /**
   * Wall ms between scheduler ticks with CLOCK=exchange (wall clock ticks are aligned to the
   * 1- and 5-minute boundaries instead). Default: a quarter of a virtual minute, at least 50 ms.
   */
  TICK_MS: z.coerce.number().int().positive().optional(),
});

export type PredictorEnv = z.infer<typeof configSchema>;

export interface PredictorConfig {
  questdb: { httpUrl: string; pgUrl: string };
  tables: { klines: string; predictions: string; events: string };
  redisUrl: string;
  restUrl: string;
  symbols: string[];
  modes: ('official' | 'live')[];
  modelDir: string | undefined;
  modelMaxAgeDays: number;
  queueName: string;
  officialOffsetMs: number;
  liveOffsetMs: number;
  officialCatchupMs: number;
  liveCatchupMs: number;
  liveMaxAgeMs: number;
  missedLookbackMs: number;
  metricsPort: number;
  metricsHost: string;
  concurrency: number;
  batchMax: number;
  batchWaitMs: number;
  retryAttempts: number;
  retryBackoffMs: number;
  lockMs: number;
  unhealthyAfterIntervals: number;
  clockSkewToleranceMs: number;
  clock: { kind: 'wall' | 'exchange'; timeScale: number; pollMs: number };
  tickMs: number;
}

export function toPredictorConfig(env: PredictorEnv): PredictorConfig {
  return {
    questdb: { httpUrl: env.QUESTDB_HTTP, pgUrl: env.QUESTDB_PG_URL },
    tables: { klines: env.KLINES_TABLE, predictions: env.PREDICTIONS_TABLE, events: env.EVENTS_TABLE },
    redisUrl: env.REDIS_URL,
    restUrl: env.BINANCE_REST_URL,
    symbols: env.SYMBOLS,
    modes: [...new Set(env.MODES)],
    modelDir: env.MODEL_DIR && env.MODEL_DIR.length > 0 ? env.MODEL_DIR : undefined,
    modelMaxAgeDays: env.MODEL_MAX_AGE_DAYS,
    queueName: env.QUEUE_NAME,
    officialOffsetMs: env.OFFICIAL_OFFSET_MS,
    liveOffsetMs: env.LIVE_OFFSET_MS,
    officialCatchupMs: env.OFFICIAL_CATCHUP_MS,
    liveCatchupMs: env.LIVE_CATCHUP_MS,
    liveMaxAgeMs: env.LIVE_MAX_AGE_MS ?? 2 * env.LIVE_CATCHUP_MS,
    missedLookbackMs: env.MISSED_LOOKBACK_MS,
    metricsPort: env.METRICS_PORT,
    metricsHost: env.METRICS_HOST,
    concurrency: env.CONCURRENCY,
    batchMax: env.BATCH_MAX,
    batchWaitMs: env.BATCH_WAIT_MS,
    retryAttempts: env.RETRY_ATTEMPTS,
    retryBackoffMs: env.RETRY_BACKOFF_MS,
    lockMs: env.LOCK_MS,
    unhealthyAfterIntervals: env.UNHEALTHY_AFTER_INTERVALS,
    clockSkewToleranceMs: env.CLOCK_SKEW_TOLERANCE_MS,
    clock: { kind: env.CLOCK, timeScale: env.TIME_SCALE, pollMs: env.CLOCK_POLL_MS },
    tickMs: env.TICK_MS ?? Math.max(50, Math.round(60_000 / env.TIME_SCALE / 4)),
  };
}

/** Reads and validates the environment; throws ConfigError listing every bad variable. */
export function loadPredictorConfig(env: NodeJS.ProcessEnv = process.env): PredictorConfig {
  return toPredictorConfig(loadConfig(configSchema, env));
}

/** The console mode needs no QuestDB and no Redis: only the exchange, the symbols and the model. */
export const consoleConfigSchema = configSchema.pick({
  BINANCE_REST_URL: true,
  SYMBOLS: true,
  MODEL_DIR: true,
  OFFICIAL_OFFSET_MS: true,
  LIVE_OFFSET_MS: true,
  TIME_SCALE: true,
  CLOCK_POLL_MS: true,
});

export type ConsoleEnv = z.infer<typeof consoleConfigSchema>;

export function loadConsoleConfig(env: NodeJS.ProcessEnv = process.env): ConsoleEnv {
  return loadConfig(consoleConfigSchema, env);
}
