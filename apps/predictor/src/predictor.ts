import { randomUUID } from 'node:crypto';
import { BinanceRest, serviceClock } from '@regime/binance';
import { FeatureError } from '@regime/features';
import { CandlesNotReadyError, historyWarmup, inputsAsOf, type PredictionInputs } from '@regime/inference';
import { LabelerViewError } from '@regime/labeler';
import { defaultModelDir } from '@regime/model/runtime';
import { type PredictionRow, QuestDb } from '@regime/questdb';
import { type Clock, type Logger, logRedisError, startOpsServer } from '@regime/service';
import { type Job, type JobsOptions, Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { PredictionBatcher } from './batcher.ts';
import { CandleCache } from './candle-cache.ts';
import { type ClockSkew, watchClockSkew } from './clock-check.ts';
import type { PredictorConfig } from './config.ts';
import { dropForeignJobs, forgetJobsWithoutRows } from './foreign-jobs.ts';
import { PredictionHealth } from './health.ts';
import { createPredictorMetrics, type PredictorMetrics } from './metrics.ts';
import { MissedRecorder } from './missed.ts';
import { verifyModel } from './model-check.ts';
import { expiryDay, expiryEvent, type ModelAge, modelAge } from './model-expiry.ts';
import { ModelHolder } from './model-holder.ts';
import { MODE_STEP_MS, type PredictionMode } from './schedule.ts';
import { upsertSchedulers } from './schedulers.ts';
import { type PredictJobData, runTick, type TickContext, type TickJobData } from './ticks.ts';

export interface Predictor {
  metrics: PredictorMetrics;
  queue: Queue;
  clock: Clock;
  opsPort: number;
  /** Graceful stop: waits for the jobs in progress, then closes every connection. */
  close(): Promise<void>;
}

/** Retrying helps: the candles may still arrive (collector lag, gap fill). */
function failureReason(error: unknown): 'not_ready' | 'error' {
  return error instanceof CandlesNotReadyError ||
    error instanceof FeatureError ||
    error instanceof LabelerViewError
    ? 'not_ready'
    : 'error';
}

/**
 * Starts one predictor process: BullMQ schedulers (upserted), a worker for tick and prediction jobs,
 * the model (watched for changes) and /healthz + /metrics. Several processes may run against the
 * same Redis queue and QuestDB tables. `deps.clock` replaces the configured clock (benchmarks).
 */
export async function startPredictor(
  config: PredictorConfig,
  log: Logger,
  deps: { clock?: Clock } = {},
): Promise<Predictor> {
  const clock = deps.clock ?? (await serviceClock({ ...config.clock, restUrl: config.restUrl }, log));
  const db = await QuestDb.connect(config.questdb, config.tables);
  await db.ensureSchema();
  const connection = { url: config.redisUrl };
  const queue = new Queue(config.queueName, { connection });
  queue.on('error', (error) => logRedisError(log, 'queue', error));
  let currentAge: () => ModelAge | undefined = () => undefined;
  const metrics = createPredictorMetrics(
    () => queue.getJobCounts('wait', 'active', 'delayed', 'failed'),
    () => currentAge(),
  );
  const models = await ModelHolder.open({
    dir: config.modelDir ?? defaultModelDir(),
    log,
    watch: true,
    verify: verifyModel,
    onReload: (outcome) => metrics.modelReloads.inc({ outcome }),
  });
  log.info({ version: models.version }, 'model loaded');
  currentAge = () => modelAge(models.version, models.trainedUntil, clock.now(), config.modelMaxAgeDays);

  const warmup = historyWarmup();
  const candles = new CandleCache(db, warmup);
  const batcher = new PredictionBatcher({
    models,
    clock,
    write: (rows) => db.writePredictions(rows),
    batchMax: config.batchMax,
    batchWaitMs: config.batchWaitMs,
    onBatch: (size) => metrics.batchSize.observe(size),
    onStages: (times) => {
      for (const [stage, ms] of Object.entries(times)) metrics.stageSeconds.inc({ stage }, ms / 1000);
    },
  });
  // Completed and failed jobs are kept for the whole catch-up window (in wall time), so a tick that
  // finds an instant still without a row (WAL not applied yet, or missed for good) does not run it again.
  const retentionSeconds =
    Math.ceil(Math.max(config.officialCatchupMs, config.liveCatchupMs) / config.clock.timeScale / 1000) + 60;
  const predictJobOptions: JobsOptions = {
    attempts: config.retryAttempts,
    backoff: { type: 'exponential', delay: config.retryBackoffMs },
    removeOnComplete: { age: retentionSeconds },
    removeOnFail: { age: retentionSeconds },
  };
  // The missed-instant marks and the sweep's watermark: plain Redis commands (SET NX, a Lua script)
  // BullMQ's client interface does not offer, on a connection of our own.
  const marks = new Redis(config.redisUrl, { maxRetriesPerRequest: null });
  marks.on('error', (error) => logRedisError(log, 'marks', error));
  const redisPrefix = `regime-predictor:${config.queueName}`;
  // An expired model: one model_expired row per model and (clock) day, whichever process sees it first.
  const recordExpiry = async () => {
    const age = currentAge();
    if (!age?.expired) return;
    const key = `${redisPrefix}:model_expired:${age.version}:${expiryDay(clock.now())}`;
    if ((await marks.set(key, '1', 'PX', 2 * 86_400_000, 'NX')) !== 'OK') return;
    log.warn({ version: age.version, ageDays: age.ageDays }, age.reason);
    await db.writeEvents([expiryEvent(age, clock.now())]);
  };
  const expiryCheck = () =>
    void recordExpiry().catch((error) => log.error({ err: error }, 'could not record the expired model'));
  const expiryTimer = setInterval(expiryCheck, 60_000);
  expiryTimer.unref();
  expiryCheck();
  const recorder = new MissedRecorder({
    redis: marks,
    keyPrefix: `${redisPrefix}:missed`,
    db,
    clock,
    metrics,
    log,
    markTtlMs: 7 * 86_400_000,
  });
  const tickContext: TickContext = {
    clock,
    db,
    queue,
    symbols: config.symbols,
    offsetMs: { official: config.officialOffsetMs, live: config.liveOffsetMs },
    catchupMs: { official: config.officialCatchupMs, live: config.liveCatchupMs },
    predictJobOptions,
    sweep: {
      db,
      queue,
      redis: marks,
      watermarkKey: (mode) => `${redisPrefix}:swept:${mode}`,
      symbols: config.symbols,
      recorder,
      maxLookbackMs: config.missedLookbackMs,
    },
  };
  const lastTickAt: Partial<Record<PredictionMode, number>> = {};
  const step = Math.min(...config.modes.map((mode) => MODE_STEP_MS[mode]));
  const health = new PredictionHealth(
    clock,
    config.unhealthyAfterIntervals * step,
    `${config.unhealthyAfterIntervals} × ${step / 60_000} min`,
  );

  const processJob = async (job: Job) => {
    if (job.name === 'tick') {
      const { mode } = job.data as TickJobData;
      const { enqueued, current } = await runTick(mode, tickContext);
      // Rows written by another process sharing the queue count: the predictions are current.
      if (current) health.succeeded();
      metrics.ticks.inc({ mode });
      metrics.enqueued.inc({ mode }, enqueued);
      lastTickAt[mode] = clock.now();
      return { enqueued };
    }
    const { mode, symbol, asOf } = job.data as PredictJobData;
    // A live row long after its instant misleads more than it helps (a job taken over after a crash).
    const stale = () => mode === 'live' && clock.now() - asOf > config.liveMaxAgeMs;
    const recordStale = async () => {
      await recorder.record(
        mode,
        symbol,
        [asOf],
        'stale',
        `stale: ran ${((clock.now() - asOf) / 60_000).toFixed(1)} min after its instant (LIVE_MAX_AGE_MS ${config.liveMaxAgeMs})`,
      );
      return { missed: 'stale' };
    };
    if (stale()) return recordStale();
    const place = batcher.reserve();
    let row: PredictionRow;
    try {
      let inputs: PredictionInputs;
      try {
        const readStart = performance.now();
        const recent = await candles.recent(symbol, asOf, mode);
        metrics.stageSeconds.inc({ stage: 'read' }, (performance.now() - readStart) / 1000);
        inputs = inputsAsOf(recent, mode, asOf, warmup);
      } catch (error) {
        place.cancel();
        throw error;
      }
      if (stale()) {
        place.cancel();
        return recordStale();
      }
      row = await place.submit({ symbol, mode, asOf, inputs });
    } catch (error) {
      // A gap inside the cached history (features or labeler view refused it): the retry reads
      // everything again, the collector may have filled it since. The newest candle not being
      // there yet (CandlesNotReadyError) needs no such full read: the next incremental read fetches
      // whatever arrived after the newest cached candle. (Dropping the cache then made every job that
      // ran just before its close arrived re-read 17 days of candles: at 400 symbols the predictor
      // fell behind for good.)
      if (error instanceof FeatureError || error instanceof LabelerViewError) candles.invalidate(symbol);
      throw error;
    }
    metrics.jobsDone.inc({ mode });
    health.succeeded();
    metrics.latency.observe({ mode }, row.latencyMs);
    return { regime: row.regime, latencyMs: row.latencyMs };
  };

  const worker = new Worker(config.queueName, processJob, {
    connection,
    concurrency: config.concurrency,
    lockDuration: config.lockMs,
    stalledInterval: config.lockMs,
  });
  worker.on('error', (error) => {
    // After a Redis restart the jobs in progress no longer exist there: BullMQ reports the lost lock
    // when they finish. Expected, and harmless: a tick re-enqueues every instant still without a row.
    if (/missing (lock|key) for job|lock mismatch|could not renew lock/i.test(error.message)) {
      log.info(
        { reason: error.message },
        'a job in progress vanished from Redis; ticks re-enqueue it if needed',
      );
    } else logRedisError(log, 'worker', error);
  });
  worker.on('failed', (job, error) => {
    if (!job) return;
    if (job.name !== 'predict') {
      log.warn({ err: error, job: job.id }, 'tick failed; the next tick catches up');
      return;
    }
    const { mode, symbol, asOf } = job.data as PredictJobData;
    const reason = failureReason(error);
    metrics.jobsFailed.inc({ mode, reason });
    health.failed(`${mode} ${symbol} as of ${new Date(asOf).toISOString()}: ${error.message}`);
    const final = job.attemptsMade >= (job.opts.attempts ?? 1);
    const context = {
      job: job.id,
      mode,
      symbol,
      asOf: new Date(asOf).toISOString(),
      attempts: job.attemptsMade,
    };
    if (!final) {
      log.debug({ ...context, reason: error.message }, 'prediction not possible yet; will retry');
      return;
    }
    log.warn({ ...context, reason: error.message }, `${mode} prediction failed for good`);
    recorder
      .record(mode, symbol, [asOf], reason, `${error.message} (after ${job.attemptsMade} attempts)`)
      .catch((recordError) => log.error({ err: recordError }, 'could not record the missed job'));
  });

  // On the wall clock, a predictor pointed at the replay exchange (in the past) predicts nothing:
  // compare the clocks. An injected clock (tests, benchmarks) is the caller's business.
  let skew: ClockSkew | undefined;
  if (deps.clock === undefined && config.clock.kind === 'wall') {
    const rest = new BinanceRest({ baseUrl: config.restUrl, maxRetries: 0, requestTimeoutMs: 5000 });
    skew = watchClockSkew({
      clock,
      serverTime: () => rest.serverTime(),
      toleranceMs: config.clockSkewToleranceMs,
      everyMs: 60_000,
      log,
    });
  }
  const catchupMs = Math.max(config.officialCatchupMs, config.liveCatchupMs, config.liveMaxAgeMs);
  await dropForeignJobs(
    queue,
    clock,
    { aheadMs: config.clockSkewToleranceMs + 5 * 60_000, behindMs: 2 * catchupMs },
    log,
  );
  await forgetJobsWithoutRows(queue, db, log);

  let closed = false;
  const scheduleNow = async () => {
    await upsertSchedulers(queue, config);
    // Catch up at once instead of waiting for the next scheduled tick (up to 5 minutes on the wall clock).
    for (const mode of config.modes) {
      await queue.add('tick', { mode } satisfies TickJobData, {
        jobId: `tick-now:${mode}:${randomUUID()}`,
        removeOnComplete: true,
        removeOnFail: 100,
      });
    }
  };
  await scheduleNow();
  const redis = await queue.client;
  // Redis here keeps nothing on disk: after a restart it is empty, schedulers included. ioredis
  // reconnects on its own; put the schedulers back every time the connection is ready again.
  redis.on('ready', () => {
    if (closed) return;
    log.info('redis connection is back; upserting the schedulers again');
    scheduleNow().catch((error) =>
      log.error({ err: error }, 'could not upsert the schedulers after reconnecting'),
    );
  });

  const ops = await startOpsServer({
    port: config.metricsPort,
    host: config.metricsHost,
    registry: metrics.registry,
    health: () => {
      const predictions = health.state();
      const age = currentAge();
      const redisOk = redis.status === 'ready';
      const workerOk = worker.isRunning();
      const reasons = [
        ...(redisOk ? [] : [`redis is ${redis.status}`]),
        ...(workerOk ? [] : ['the worker is not running']),
        ...(predictions.reason ? [predictions.reason] : []),
        ...(skew?.problem() ? [skew.problem()!] : []),
      ];
      return {
        ok: reasons.length === 0,
        ...(reasons.length > 0 ? { reason: reasons.join('; ') } : {}),
        redis: redis.status,
        lastSuccess: predictions.lastSuccess,
        lastFailure: predictions.lastFailure,
        model: models.version,
        // Expired is not unhealthy: the model keeps predicting (restarting would not make it newer); the body says why.
        modelAgeDays: age ? Number(age.ageDays.toFixed(2)) : null,
        modelExpired: age?.expired ?? false,
        ...(age?.reason ? { warning: age.reason } : {}),
        clock: new Date(clock.now()).toISOString(),
        lastTick: Object.fromEntries(
          Object.entries(lastTickAt).map(([m, t]) => [m, new Date(t).toISOString()]),
        ),
      };
    },
  });
  log.info(
    { queue: config.queueName, symbols: config.symbols, clock: config.clock.kind, port: ops.port },
    'predictor running',
  );

  return {
    metrics,
    queue,
    clock,
    opsPort: ops.port,
    async close() {
      closed = true;
      clearInterval(expiryTimer);
      await worker.close();
      await queue.close();
      clock.close();
      skew?.close();
      marks.disconnect();
      await ops.close();
      await models.close();
      await db.close();
    },
  };
}
