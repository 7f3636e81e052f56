import type { QuestDb } from '@regime/questdb';
import type { Clock, Logger } from '@regime/service';
import type { Redis } from 'ioredis';
import type { PredictorMetrics } from './metrics.ts';
import type { PredictionMode } from './schedule.ts';

/**
 * Why an as-of instant has no row:
 * - not_ready / error: its job spent its retry budget (candles never arrived / anything else);
 * - stale: a live job ran later than LIVE_MAX_AGE_MS after its instant (taken over after a crash),
 *   so its row was not written;
 * - outside_catchup: the instant left the catch-up window before any job predicted it (predictor
 *   down or behind longer than the window).
 */
export type MissedReason = 'not_ready' | 'error' | 'stale' | 'outside_catchup';

export interface MissedRecorderOptions {
  redis: Redis;
  /** Redis key prefix: one namespace per queue. */
  keyPrefix: string;
  db: QuestDb;
  clock: Clock;
  metrics: PredictorMetrics;
  log: Logger;
  /** How long (wall ms) an instant's "already recorded" mark is kept. */
  markTtlMs: number;
}

/**
 * Records instants without a row: `predictor_jobs_missed_total{mode,reason}` and one
 * `pipeline_events` row per call (count = instants). Each instant is recorded once, whoever notices
 * first (the job's failure, the stale check or the catch-up sweep, in any process): a Redis mark per
 * (mode, symbol, instant) taken with SET NX decides. Returns how many instants were recorded now.
 */
export class MissedRecorder {
  constructor(private readonly options: MissedRecorderOptions) {}

  async record(
    mode: PredictionMode,
    symbol: string,
    asOfs: readonly number[],
    reason: MissedReason,
    why: string,
  ): Promise<number> {
    const { redis, keyPrefix, markTtlMs } = this.options;
    if (asOfs.length === 0) return 0;
    const pipeline = redis.pipeline();
    for (const asOf of asOfs)
      pipeline.set(`${keyPrefix}:${mode}:${symbol}:${asOf}`, reason, 'PX', markTtlMs, 'NX');
    const results = (await pipeline.exec()) ?? [];
    const keys = asOfs.map((asOf) => `${keyPrefix}:${mode}:${symbol}:${asOf}`);
    const fresh = asOfs.filter((_, i) => results[i]?.[1] === 'OK');
    const freshKeys = keys.filter((_, i) => results[i]?.[1] === 'OK');
    if (fresh.length === 0) return 0;
    const { metrics, log, db, clock } = this.options;
    metrics.jobsMissed.inc({ mode, reason }, fresh.length);
    const first = new Date(fresh[0]!).toISOString();
    const last = new Date(fresh[fresh.length - 1]!).toISOString();
    const when =
      fresh.length === 1 ? `as of ${first}` : `as of ${first} .. ${last} (${fresh.length} instants)`;
    const detail = `${mode} ${when}: ${why}`;
    log.warn({ mode, symbol, reason, count: fresh.length }, `${detail}; no row written`);
    return db
      .writeEvents([
        {
          // pipeline_events keeps one clock (the wall clock); the predictor's own clock goes beside it.
          ts: Date.now(),
          exchangeTs: Math.round(clock.now()),
          service: 'predictor',
          kind: reason === 'error' ? 'job_failed' : 'missed_job',
          symbol,
          count: fresh.length,
          detail,
        },
      ])
      .then(
        () => fresh.length,
        async (error) => {
          // Unmark them, so the next one to notice records them again.
          await redis.del(...freshKeys).catch(() => {});
          log.error({ err: error }, 'could not record missed instants in pipeline_events');
          return 0;
        },
      );
  }
}
