import type { QuestDb } from '@regime/questdb';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { MissedRecorder } from './missed.ts';
import { MODE_STEP_MS, type PredictionMode, predictionJobId } from './schedule.ts';

export interface SweepContext {
  db: QuestDb;
  queue: Queue;
  redis: Redis;
  /** Redis key of the sweep's progress for one mode. */
  watermarkKey: (mode: PredictionMode) => string;
  symbols: readonly string[];
  recorder: MissedRecorder;
  /** Without a watermark (first start, Redis emptied), look back at most this far (clock ms). */
  maxLookbackMs: number;
  /** Jobs exist only for instants this close to the window (the catch-up length): older ones need no lookup. */
  jobHorizonMs: number;
}

/** Moves the watermark forward only (several processes sweep concurrently); kept 30 days unused. */
const ADVANCE = `
local old = redis.call('GET', KEYS[1])
if (not old) or tonumber(old) < tonumber(ARGV[1]) then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) end
return old`;
const WATERMARK_TTL_MS = 30 * 86_400_000;
const JOB_ACCOUNTS_FOR_INSTANT = [
  'waiting',
  'active',
  'delayed',
  'prioritized',
  'waiting-children',
  'completed',
];

/**
 * Every instant that slid out of the catch-up window (older than `windowStart`) since the last
 * sweep, and has no row, is recorded as missed (reason outside_catchup): ticks never enqueue it
 * again, so without this it would be lost without a trace (a predictor down for longer than the
 * window). Instants whose job is still to run, or has completed, are left to that job. Where the
 * previous sweep stopped is kept in Redis; without it (first start, Redis restarted empty) the sweep
 * starts after the newest row of the mode, at most `maxLookbackMs` back. Returns the instants recorded.
 */
export async function sweepMissed(
  mode: PredictionMode,
  windowStart: number,
  ctx: SweepContext,
): Promise<number> {
  const step = MODE_STEP_MS[mode];
  const key = ctx.watermarkKey(mode);
  const stored = await ctx.redis.get(key);
  let from: number | undefined = stored === null ? undefined : Number(stored);
  if (from !== undefined && from > windowStart + step) {
    // Left by a run on another clock (ahead of this one): start again from here.
    await ctx.redis.set(key, String(windowStart), 'PX', WATERMARK_TTL_MS);
    return 0;
  }
  if (from === undefined) {
    const newest = await ctx.db.query<{ ts: number | null }>(
      `SELECT max(ts) ts FROM ${ctx.db.tables.predictions} WHERE mode = $1 AND ts < $2`,
      [mode, new Date(windowStart).toISOString()],
    );
    const ts = newest[0]?.ts;
    if (ts !== null && ts !== undefined) from = ts + step;
  }
  let recorded = 0;
  if (from !== undefined && from < windowStart) {
    from = Math.max(from, windowStart - ctx.maxLookbackMs);
    from = Math.ceil(from / step) * step;
    const rows = await ctx.db.query<{ symbol: string; ts: number }>(
      `SELECT symbol, ts FROM ${ctx.db.tables.predictions} WHERE mode = $1 AND ts >= $2 AND ts < $3`,
      [mode, new Date(from).toISOString(), new Date(windowStart).toISOString()],
    );
    const have = new Set(rows.map((r) => `${r.symbol}@${r.ts}`));
    for (const symbol of ctx.symbols) {
      const missing: number[] = [];
      for (let t = from; t < windowStart; t += step) {
        if (have.has(`${symbol}@${t}`)) continue;
        // A job still to run accounts for its instant, and so does a finished one: its row is
        // written, though perhaps not visible yet while QuestDB applies the WAL, or its miss was
        // recorded as stale. A failed job's miss is recorded by the failure handler; should that
        // write fail, the sweep records it here (the Redis mark keeps it to one record).
        if (t >= windowStart - ctx.jobHorizonMs) {
          const state = await ctx.queue.getJobState(predictionJobId(mode, symbol, t));
          if (JOB_ACCOUNTS_FOR_INSTANT.includes(state)) continue;
        }
        missing.push(t);
      }
      recorded += await ctx.recorder.record(
        mode,
        symbol,
        missing,
        'outside_catchup',
        'left the catch-up window without a prediction (predictor down or behind for longer than the window)',
      );
    }
  }
  await ctx.redis.eval(ADVANCE, 1, key, String(windowStart), String(WATERMARK_TTL_MS));
  return recorded;
}
