import { randomUUID } from 'node:crypto';
import { QuestDb, questDbConfigFromEnv, uniqueTableNames } from '@regime/questdb';
import { createLogger } from '@regime/service';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { loadPredictorConfig } from '../src/config.ts';
import { createPredictorMetrics } from '../src/metrics.ts';
import { MissedRecorder } from '../src/missed.ts';
import { predictionJobId } from '../src/schedule.ts';
import { sweepMissed } from '../src/sweep.ts';

const log = createLogger('predictor-sweep-test');
log.level = 'silent';
const MINUTE = 60_000;
const T0 = Date.UTC(2024, 5, 15, 12, 0);

/**
 * The catch-up sweep against a real Redis, BullMQ and QuestDB. A job that has completed accounts for
 * its instant even when its row is not visible yet (QuestDB applies the WAL a moment after the write;
 * under load, seconds after): recording it as missed would put a false miss beside a real row.
 */
describe('the catch-up sweep', () => {
  const tables = uniqueTableNames();
  const queueName = `sweep-${randomUUID()}`;
  const redisUrl = loadPredictorConfig(process.env).redisUrl;
  const connection = { url: redisUrl, maxRetriesPerRequest: null };
  const queue = new Queue(queueName, { connection });
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: null });
  let db: QuestDb | undefined;
  let worker: Worker | undefined;
  afterAll(async () => {
    await worker?.close();
    await queue.obliterate({ force: true }).catch(() => {});
    await queue.close();
    await redis.del(`${queueName}:swept:live`);
    await redis.eval(
      `for _, k in ipairs(redis.call('KEYS', ARGV[1])) do redis.call('DEL', k) end`,
      0,
      `${queueName}:missed:*`,
    );
    redis.disconnect();
    await db?.dropTables();
    await db?.close();
  });

  it('leaves an instant whose job completed to that job, and records one that never had a job', async () => {
    db = await QuestDb.connect(questDbConfigFromEnv(), tables);
    await db.ensureSchema();
    const metrics = createPredictorMetrics();
    const recorder = new MissedRecorder({
      redis,
      keyPrefix: `${queueName}:missed`,
      db,
      clock: { now: () => T0 + 10 * MINUTE, close: () => {} },
      metrics,
      log,
      markTtlMs: MINUTE,
    });
    // A job for T0+1m that completes without a visible row (as one does while its row waits in the WAL);
    // T0+2m never gets a job.
    const done = predictionJobId('live', 'BTCUSDT', T0 + MINUTE);
    await queue.add('predict', {}, { jobId: done });
    worker = new Worker(queueName, async () => ({}), { connection });
    while ((await queue.getJobState(done)) !== 'completed') await new Promise((r) => setTimeout(r, 50));

    const watermarkKey = () => `${queueName}:swept:live`;
    await redis.set(watermarkKey(), String(T0 + MINUTE));
    const recorded = await sweepMissed('live', T0 + 3 * MINUTE, {
      db,
      queue,
      redis,
      watermarkKey,
      symbols: ['BTCUSDT'],
      recorder,
      maxLookbackMs: 60 * MINUTE,
      jobHorizonMs: 60 * MINUTE,
    });

    expect(recorded).toBe(1);
    await db.waitForWal();
    const events = await db.query<{ detail: string }>(`SELECT detail FROM ${tables.events}`);
    expect(events.map((e) => e.detail)).toEqual([
      `live as of ${new Date(T0 + 2 * MINUTE).toISOString()}: left the catch-up window without a prediction (predictor down or behind for longer than the window)`,
    ]);
  });
});
