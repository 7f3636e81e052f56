import type { QuestDb } from '@regime/questdb';
import type { Clock, Logger } from '@regime/service';
import type { Queue } from 'bullmq';
import type { PredictJobData } from './ticks.ts';

/**
 * Prediction jobs still queued from a run on another clock (the wall clock in 2026, then the replay
 * exchange's in 2025, or back) are for instants this clock will not reach for months, or left
 * behind long ago: run, they would only fail and be recorded as missed. Removed at start-up: every
 * waiting or delayed job whose instant is after `now + aheadMs` or before `now - behindMs`.
 * Returns how many were removed.
 */
export async function dropForeignJobs(
  queue: Queue,
  clock: Clock,
  window: { aheadMs: number; behindMs: number },
  log: Logger,
): Promise<number> {
  const now = clock.now();
  const jobs = await queue.getJobs(['waiting', 'delayed', 'prioritized', 'paused']);
  let dropped = 0;
  for (const job of jobs) {
    if (job?.name !== 'predict') continue;
    const { asOf } = job.data as PredictJobData;
    if (asOf <= now + window.aheadMs && asOf >= now - window.behindMs) continue;
    // A job another worker just started cannot be removed: it is no longer queued, leave it.
    const removed = await job.remove().then(
      () => true,
      () => false,
    );
    if (removed) dropped++;
  }
  if (dropped > 0) {
    log.warn(
      { dropped, now: new Date(now).toISOString() },
      'dropped queued prediction jobs from another clock (their instants are far from this clock)',
    );
  }
  return dropped;
}

/**
 * A finished prediction job blocks its instant: ticks re-add the same job id, which BullMQ ignores
 * while it keeps the finished job (for the catch-up window). When Redis outlives the database (a
 * fresh QuestDB, or other tables, with the same Redis and queue), those instants have no row and
 * would get none: removed at start-up, so the next tick predicts them. Jobs that finished within the
 * last minute are left alone: another process sharing the queue may have just written their rows,
 * still in QuestDB's WAL (and a live row predicted again later would read a newer in-progress candle).
 * Returns how many were removed.
 */
export async function forgetJobsWithoutRows(queue: Queue, db: QuestDb, log: Logger): Promise<number> {
  const settledBefore = Date.now() - 60_000;
  const jobs = (await queue.getJobs(['completed', 'failed'])).filter(
    (job) => job?.name === 'predict' && (job.finishedOn ?? 0) < settledBefore,
  );
  if (jobs.length === 0) return 0;
  const asOfs = jobs.map((job) => (job.data as PredictJobData).asOf);
  const rows = await db.query<{ symbol: string; mode: string; ts: number }>(
    `SELECT symbol, mode, ts FROM ${db.tables.predictions} WHERE ts >= $1 AND ts <= $2`,
    [new Date(Math.min(...asOfs)).toISOString(), new Date(Math.max(...asOfs)).toISOString()],
  );
  const have = new Set(rows.map((r) => `${r.mode}:${r.symbol}@${r.ts}`));
  let forgotten = 0;
  for (const job of jobs) {
    const { mode, symbol, asOf } = job.data as PredictJobData;
    if (have.has(`${mode}:${symbol}@${asOf}`)) continue;
    const removed = await job.remove().then(
      () => true,
      () => false,
    );
    if (removed) forgotten++;
  }
  if (forgotten > 0) {
    log.warn(
      { forgotten, table: db.tables.predictions },
      'forgot finished prediction jobs whose rows are not in this database (Redis kept them from a run against another one); their instants are predicted again',
    );
  }
  return forgotten;
}
