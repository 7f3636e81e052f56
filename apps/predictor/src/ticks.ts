import type { QuestDb } from '@regime/questdb';
import type { Clock } from '@regime/service';
import type { JobsOptions, Queue } from 'bullmq';
import { asOfWindow, latestDueAsOf, type PredictionMode, predictionJobId } from './schedule.ts';
import { type SweepContext, sweepMissed } from './sweep.ts';

export interface TickJobData {
  mode: PredictionMode;
}

export interface PredictJobData {
  mode: PredictionMode;
  symbol: string;
  asOf: number;
}

export interface TickContext {
  clock: Clock;
  db: QuestDb;
  queue: Queue;
  symbols: readonly string[];
  offsetMs: Record<PredictionMode, number>;
  catchupMs: Record<PredictionMode, number>;
  predictJobOptions: JobsOptions;
  /** Records the instants that left the catch-up window without a row. */
  sweep: Omit<SweepContext, 'jobHorizonMs'>;
}

/**
 * One scheduler tick: every as-of instant of `mode` in the catch-up window (ending at the newest due
 * one) that has no row yet for a symbol gets a prediction job with a deterministic id. Re-adding a
 * job id BullMQ already holds (waiting, retrying, done or failed) is a no-op, so ticks may repeat,
 * overlap and run in several processes; and an instant whose job was lost (predictor killed, Redis
 * restarted empty) is simply enqueued again by the next tick because its row is still missing.
 * Instants that left the window since the last tick without a row are recorded as missed
 * (sweepMissed). Returns the number of jobs submitted, and whether the newest due instant already
 * has its row for every symbol (predictions are current, whichever process wrote them).
 */
export async function runTick(
  mode: PredictionMode,
  ctx: TickContext,
): Promise<{ enqueued: number; current: boolean }> {
  const latest = latestDueAsOf(mode, ctx.clock.now(), ctx.offsetMs[mode]);
  const instants = asOfWindow(mode, latest, ctx.catchupMs[mode]);
  const rows = await ctx.db.query<{ symbol: string; ts: number }>(
    `SELECT symbol, ts FROM ${ctx.db.tables.predictions} WHERE mode = $1 AND ts >= $2 AND ts <= $3`,
    [mode, new Date(instants[0]!).toISOString(), new Date(latest).toISOString()],
  );
  const have = new Set(rows.map((r) => `${r.symbol}@${r.ts}`));
  const jobs: { name: 'predict'; data: PredictJobData; opts: JobsOptions }[] = [];
  for (const asOf of instants) {
    for (const symbol of ctx.symbols) {
      if (have.has(`${symbol}@${asOf}`)) continue;
      jobs.push({
        name: 'predict',
        data: { mode, symbol, asOf },
        opts: { ...ctx.predictJobOptions, jobId: predictionJobId(mode, symbol, asOf) },
      });
    }
  }
  if (jobs.length > 0) await ctx.queue.addBulk(jobs);
  await sweepMissed(mode, instants[0]!, { ...ctx.sweep, jobHorizonMs: ctx.catchupMs[mode] });
  return { enqueued: jobs.length, current: ctx.symbols.every((symbol) => have.has(`${symbol}@${latest}`)) };
}
