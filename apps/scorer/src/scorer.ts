import { randomUUID } from 'node:crypto';
import { serviceClock } from '@regime/binance';
import { DEFAULT_LABELER_PARAMS, LABELER_VERSION, type LabelerParams } from '@regime/labeler';
import { OutcomeStore, QuestDb } from '@regime/questdb';
import { type Logger, logRedisError, startOpsServer } from '@regime/service';
import { type Job, Queue, Worker } from 'bullmq';
import type { ScorerConfig } from './config.ts';
import { createScorerMetrics, type ScorerMetrics } from './metrics.ts';
import { type ReportJobData, runScoreTick, type SymbolTick, type TickContext } from './tick.ts';

export const SCHEDULER_ID = 'score-tick';

export interface Scorer {
  metrics: ScorerMetrics;
  queue: Queue;
  opsPort: number;
  /** Resolves with the result of the first tick this process completes (the one added at start-up, usually). */
  firstTick: Promise<SymbolTick[]>;
  /** Resolves with the result of the next tick that completes (tests; the schedulers run on their own). */
  nextTick(): Promise<SymbolTick[]>;
  /** Adds a tick now instead of waiting for the scheduler. */
  tickNow(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Starts one scorer process: a BullMQ job scheduler (upserted: any number of processes share one)
 * whose tick scores the settled official predictions, a worker for ticks and reports, and /healthz +
 * /metrics. "Now" is config.clock's (wall or exchange); `deps.now` replaces it (tests score 2025
 * predictions "as of" a fixed instant). pipeline_events rows keep the wall clock in `ts` and this
 * clock in `exchange_ts`, as the predictor's do.
 */
export async function startScorer(
  config: ScorerConfig,
  log: Logger,
  deps: { now?: () => number; params?: LabelerParams } = {},
): Promise<Scorer> {
  const clock = deps.now ? undefined : await serviceClock(config.clock, log);
  const now = deps.now ?? (() => clock!.now());
  const params = deps.params ?? DEFAULT_LABELER_PARAMS;
  const { outcomes: outcomesTable, ...tables } = config.tables;
  const db = await QuestDb.connect(config.questdb, tables);
  await db.ensureSchema();
  const outcomes = await OutcomeStore.open(config.questdb, db, outcomesTable);
  await outcomes.ensureSchema();
  const connection = { url: config.redisUrl };
  const queue = new Queue(config.queueName, { connection });
  queue.on('error', (error) => logRedisError(log, 'queue', error));
  const metrics = createScorerMetrics(() => queue.getJobCounts('wait', 'active', 'delayed', 'failed'));
  // A report job is kept (completed) as long as its prediction can still be seen by a tick, so a
  // prediction given up on is reported once.
  const retentionSeconds = Math.ceil((config.lookbackMs + config.giveUpMs) / 1000) + 3600;
  const context: TickContext = {
    db,
    outcomes,
    queue,
    symbols: config.symbols,
    now,
    params,
    labelerVersion: LABELER_VERSION,
    lookbackMs: config.lookbackMs,
    giveUpMs: config.giveUpMs,
    batchMax: config.batchMax,
    reportJobOptions: {
      attempts: 5,
      backoff: { type: 'exponential', delay: 1000 },
      removeOnComplete: { age: retentionSeconds },
      removeOnFail: { age: retentionSeconds },
    },
  };
  let firstTickDone: (ticks: SymbolTick[]) => void = () => {};
  const firstTick = new Promise<SymbolTick[]>((resolve) => {
    firstTickDone = resolve;
  });
  const tickListeners: ((ticks: SymbolTick[]) => void)[] = [firstTickDone];
  let lastTickAt: number | undefined;
  // Health: a scorer whose every tick fails is not ok, whatever Redis says. Wall time, since start-up.
  let lastSuccessWall = Date.now();
  let lastFailure: string | undefined;

  const processJob = async (job: Job) => {
    if (job.name === 'tick') {
      const ticks = await runScoreTick(context);
      for (const t of ticks) {
        metrics.outcomesWritten.inc({ symbol: t.symbol }, t.written);
        for (const state of ['settling', 'backlog', 'late'] as const)
          metrics.pending.set({ symbol: t.symbol, state }, t[state]);
        metrics.lag.set({ symbol: t.symbol }, t.lagMs / 1000);
        if (t.written > 0 || t.backlog > 0 || t.late > 0) {
          log.info(t, t.backlog > 0 ? 'scored; falling behind (backlog left for the next tick)' : 'scored');
        }
      }
      // Falling behind is recorded like the other jobs' troubles: one row per tick that leaves a backlog.
      await db.writeEvents(
        ticks
          .filter((t) => t.backlog > 0)
          .map((t) => ({
            ts: Date.now(),
            exchangeTs: now(),
            service: 'scorer',
            kind: 'backlog',
            symbol: t.symbol,
            count: t.backlog,
            detail:
              `${t.backlog} settled predictions left for the next tick (SCORE_BATCH_MAX); ` +
              `the oldest settled ${Math.round(t.lagMs / 60_000)} min ago`,
          })),
      );
      lastTickAt = now();
      lastSuccessWall = Date.now();
      lastFailure = undefined;
      metrics.lastTick.set(Date.now() / 1000);
      metrics.ticks.inc({ outcome: 'ok' });
      for (const listener of tickListeners.splice(0)) listener(ticks);
      return { written: ticks.reduce((n, t) => n + t.written, 0) };
    }
    const report = job.data as ReportJobData;
    await db.writeEvents([
      {
        ts: Date.now(),
        exchangeTs: now(),
        service: 'scorer',
        kind: report.kind,
        symbol: report.symbol,
        interval: '5m',
        count: 1,
        detail: report.detail,
      },
    ]);
    if (report.kind === 'missed_job') metrics.predictionsMissed.inc({ symbol: report.symbol });
    else metrics.predictionsRejected.inc({ symbol: report.symbol });
    log.warn({ symbol: report.symbol, asOf: new Date(report.asOf).toISOString() }, report.detail);
    return {};
  };

  const worker = new Worker(config.queueName, processJob, { connection, concurrency: 1 });
  worker.on('error', (error) => logRedisError(log, 'worker', error));
  worker.on('failed', (job, error) => {
    if (job?.name !== 'tick') {
      if (job) log.error({ err: error, job: job.id }, 'could not record a report in pipeline_events');
      return;
    }
    metrics.ticks.inc({ outcome: 'failed' });
    lastFailure = error.message;
    log.error({ err: error }, 'scoring tick failed; the next tick retries everything still unscored');
    db.writeEvents([
      {
        ts: Date.now(),
        exchangeTs: now(),
        service: 'scorer',
        kind: 'job_failed',
        count: 1,
        detail: `scoring tick failed: ${error.message}`,
      },
    ]).catch((writeError) => log.error({ err: writeError }, 'could not record the failed tick'));
  });

  const tickNow = async () => {
    await queue.add(
      'tick',
      {},
      { jobId: `tick-now-${randomUUID()}`, removeOnComplete: true, removeOnFail: 100 },
    );
  };
  const upsertScheduler = async () => {
    await queue.upsertJobScheduler(
      SCHEDULER_ID,
      { every: config.everyMs, ...(config.offsetMs > 0 ? { offset: config.offsetMs } : {}) },
      { name: 'tick', data: {}, opts: { attempts: 1, removeOnComplete: true, removeOnFail: 100 } },
    );
    await tickNow();
  };
  await upsertScheduler();
  let closed = false;
  const redis = await queue.client;
  // After a Redis restart (it may keep nothing on disk) the scheduler must be put back.
  redis.on('ready', () => {
    if (closed) return;
    upsertScheduler().catch((error) => log.error({ err: error }, 'could not upsert the scheduler'));
  });

  const ops = await startOpsServer({
    port: config.metricsPort,
    host: config.metricsHost,
    registry: metrics.registry,
    health: () => {
      const sinceSuccess = Date.now() - lastSuccessWall;
      const ticking = sinceSuccess <= config.unhealthyAfterMs;
      return {
        ok: redis.status === 'ready' && worker.isRunning() && ticking,
        redis: redis.status,
        lastTick: lastTickAt === undefined ? null : new Date(lastTickAt).toISOString(),
        ...(ticking
          ? {}
          : {
              reason:
                `no scoring tick has succeeded for ${(sinceSuccess / 60_000).toFixed(1)} min ` +
                `(SCORE_UNHEALTHY_AFTER_TICKS × SCORE_EVERY_MS = ${config.unhealthyAfterMs / 60_000} min)` +
                (lastFailure ? `; last failure: ${lastFailure}` : ''),
            }),
      };
    },
  });
  log.info({ queue: config.queueName, symbols: config.symbols, port: ops.port }, 'scorer running');

  return {
    metrics,
    queue,
    opsPort: ops.port,
    firstTick,
    nextTick: () => new Promise((resolve) => tickListeners.push(resolve)),
    tickNow,
    async close() {
      closed = true;
      await worker.close();
      await queue.close();
      await ops.close();
      await outcomes.close();
      await db.close();
      clock?.close();
    },
  };
}
