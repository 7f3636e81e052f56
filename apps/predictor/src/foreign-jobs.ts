import type { Logger } from '@regime/service';
import type { Queue } from 'bullmq';
import type { Clock } from './clock.ts';
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
