import { parseSymbol } from '@regime/candles';
import { bindHost, loadConfig, parsedList, port, url } from '@regime/service';
import { z } from 'zod';

const TABLE_NAME = /^[a-z_][a-z0-9_]{0,62}$/;
const HOUR = 3_600_000;

const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);
const nonNegativeInt = (fallback: number) => z.coerce.number().int().min(0).default(fallback);
const tableName = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .refine((s) => TABLE_NAME.test(s), { message: `expected a table name matching ${TABLE_NAME.source}` });

/**
 * The scorer's environment. Times are milliseconds on the scorer's clock (CLOCK): the wall clock in
 * production, the exchange's against the replay exchange; the tick period runs on the wall clock.
 */
export const configSchema = z.object({
  QUESTDB_HTTP: url('http://127.0.0.1:9000', ['http', 'https']),
  QUESTDB_PG_URL: url('postgres://admin:quest@127.0.0.1:8812/qdb', ['postgres', 'postgresql']),
  REDIS_URL: url('redis://127.0.0.1:6379', ['redis', 'rediss']),
  SYMBOLS: parsedList('BTCUSDT', parseSymbol),
  KLINES_TABLE: tableName('klines'),
  PREDICTIONS_TABLE: tableName('regime_predictions'),
  EVENTS_TABLE: tableName('pipeline_events'),
  OUTCOMES_TABLE: tableName('regime_outcomes'),
  /** BullMQ queue name; tests use a unique one. */
  QUEUE_NAME: z
    .string()
    .default('regime-scorer')
    .refine((s) => /^[A-Za-z0-9_-]{1,64}$/.test(s), { message: 'expected letters, digits, _ or -' }),
  /** How often the scoring tick runs. */
  SCORE_EVERY_MS: positiveInt(5 * 60_000),
  /** Run time after each period boundary: gives the collector time to write the candle that settles T. */
  SCORE_OFFSET_MS: nonNegativeInt(30_000),
  /** How far back each tick looks for official predictions without an outcome. */
  SCORE_LOOKBACK_MS: positiveInt(7 * 24 * HOUR),
  /**
   * How long after its settle time a prediction whose window still misses candles is given up on (the
   * collector's gap fill may still bring them): then it is recorded once as missed in pipeline_events.
   */
  SCORE_GIVE_UP_MS: positiveInt(HOUR),
  /** Most predictions scored per symbol and tick, oldest first (bounds a catch-up tick's run time). */
  SCORE_BATCH_MAX: positiveInt(2016),
  /** /healthz answers 503 once no scoring tick has succeeded for this many tick periods. */
  SCORE_UNHEALTHY_AFTER_TICKS: positiveInt(3),
  /**
   * wall: the machine's clock. exchange: follow BINANCE_REST_URL /api/v3/time, as the predictor does
   * against the replay exchange (on the wall clock every 2025 prediction looks settled for a year,
   * and one whose candles have not been replayed yet would be given up on at once).
   */
  CLOCK: z.enum(['wall', 'exchange']).default('wall'),
  BINANCE_REST_URL: url('https://api.binance.com', ['http', 'https']),
  /** Virtual ms per wall ms, used to extrapolate the exchange clock between polls (replay speed). */
  TIME_SCALE: z.coerce.number().positive().default(1),
  /** Wall ms between polls of the exchange clock. */
  CLOCK_POLL_MS: positiveInt(1000),
  METRICS_PORT: port(9466),
  METRICS_HOST: bindHost('127.0.0.1'),
});

export type ScorerEnv = z.infer<typeof configSchema>;

export interface ScorerConfig {
  questdb: { httpUrl: string; pgUrl: string };
  tables: { klines: string; predictions: string; events: string; outcomes: string };
  redisUrl: string;
  symbols: string[];
  queueName: string;
  everyMs: number;
  offsetMs: number;
  lookbackMs: number;
  giveUpMs: number;
  batchMax: number;
  /** Wall ms without a successful tick after which /healthz is not ok. */
  unhealthyAfterMs: number;
  clock: { kind: 'wall' | 'exchange'; restUrl: string; timeScale: number; pollMs: number };
  metricsPort: number;
  /** Where /healthz and /metrics listen: loopback unless told otherwise. */
  metricsHost: string;
}

export function toScorerConfig(env: ScorerEnv): ScorerConfig {
  return {
    questdb: { httpUrl: env.QUESTDB_HTTP, pgUrl: env.QUESTDB_PG_URL },
    tables: {
      klines: env.KLINES_TABLE,
      predictions: env.PREDICTIONS_TABLE,
      events: env.EVENTS_TABLE,
      outcomes: env.OUTCOMES_TABLE,
    },
    redisUrl: env.REDIS_URL,
    symbols: env.SYMBOLS,
    queueName: env.QUEUE_NAME,
    everyMs: env.SCORE_EVERY_MS,
    offsetMs: env.SCORE_OFFSET_MS % env.SCORE_EVERY_MS,
    lookbackMs: env.SCORE_LOOKBACK_MS,
    giveUpMs: env.SCORE_GIVE_UP_MS,
    batchMax: env.SCORE_BATCH_MAX,
    unhealthyAfterMs: env.SCORE_UNHEALTHY_AFTER_TICKS * env.SCORE_EVERY_MS,
    clock: {
      kind: env.CLOCK,
      restUrl: env.BINANCE_REST_URL,
      timeScale: env.TIME_SCALE,
      pollMs: env.CLOCK_POLL_MS,
    },
    metricsPort: env.METRICS_PORT,
    metricsHost: env.METRICS_HOST,
  };
}

/** Reads and validates the environment; throws ConfigError listing every bad variable. */
export function loadScorerConfig(env: NodeJS.ProcessEnv = process.env): ScorerConfig {
  return toScorerConfig(loadConfig(configSchema, env));
}
