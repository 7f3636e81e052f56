import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ModelRegistryStore, QuestDb, type RetrainTrigger } from '@regime/questdb';
import { type Logger, logRedisError, startOpsServer } from '@regime/service';
import { type Job, Queue, QueueEvents, Worker } from 'bullmq';
import type { TrainerConfig } from './config.ts';
import { type CycleProgress, type CycleResult, ensureChampion, RECORDED_FAILURE } from './cycle.ts';
import { checkLiveF1, type LiveF1Check } from './live-f1.ts';
import { createTrainerMetrics, type TrainerMetrics } from './metrics.ts';
import { currentChampion } from './models-dir.ts';
import type { RetrainJobData } from './processor.ts';

export const RETRAIN_SCHEDULER_ID = 'retrain-schedule';
export const F1_CHECK_SCHEDULER_ID = 'live-f1-check';
export const DRIFT_CHECK_SCHEDULER_ID = 'drift-check';
/** One retrain queued or running at a time, whoever asks (BullMQ deduplication key). */
const RETRAIN_DEDUP_ID = 'retrain';

const processorFile = fileURLToPath(new URL('./processor.ts', import.meta.url));

/**
 * The training child runs the TypeScript sources like its parent: with tsx's loader, resolved from
 * here when installed beside the app (the repository), else whatever loader the parent runs with
 * (the image's global tsx, `tsx apps/trainer/src/main.ts`).
 */
function childExecArgv(): string[] {
  try {
    const root = dirname(createRequire(import.meta.url).resolve('tsx/package.json'));
    return ['--import', pathToFileURL(join(root, 'dist/loader.mjs')).href];
  } catch {
    return process.execArgv;
  }
}

/** The hourly drift computation, injected (drift-job.ts) so tests can run the trainer without it. */
export type DriftCheck = (ctx: {
  config: TrainerConfig;
  log: Logger;
  championDir: string;
}) => Promise<DriftResult>;

export interface DriftResult {
  /** The largest PSI seen, and which input of which symbol. */
  maxPsi: number;
  where: string;
  /** Inputs above their major-drift threshold (`<symbol> <input> <psi> > <threshold>`): any queues a retrain. */
  major: string[];
}

export interface RetrainRequest {
  jobId: string;
  /** False when a retrain was already queued or running: this request trains nothing. */
  queued: boolean;
  /** The retrain that was already queued or running, when not queued. */
  existingJobId?: string;
}

export interface Trainer {
  metrics: TrainerMetrics;
  queue: Queue;
  opsPort: number;
  retrainNow(trigger: RetrainTrigger): Promise<RetrainRequest>;
  /** Resolves with the cycle's result when the job completes; rejects with its error when it fails. */
  waitForJob(jobId: string): Promise<CycleResult>;
  onProgress(listener: (p: CycleProgress) => void): void;
  /** The live macro-F1 check (normally hourly), now. */
  checkF1Now(): Promise<LiveF1Check>;
  /** The drift computation (normally hourly), now. */
  checkDriftNow(): Promise<DriftResult>;
  close(): Promise<void>;
}

export interface TrainerOptions {
  /** Upsert the RETRAIN_EVERY scheduler and the hourly checks (off for `--once`). */
  schedule: boolean;
  /** Run the training worker in this process (a `--once` run does, and any service). */
  work?: boolean;
  /** The hourly drift computation (drift-job.ts in the service); without it no drift job is scheduled. */
  driftCheck?: DriftCheck;
}

/**
 * Starts a trainer: the retrain queue (global concurrency 1) with its job scheduler, a worker that
 * runs each retrain in a sandboxed (forked) child at lower CPU priority, the hourly live macro-F1 check
 * (and the drift check when given), and /healthz + /metrics.
 */
export async function startTrainer(
  config: TrainerConfig,
  log: Logger,
  options: TrainerOptions = { schedule: true },
): Promise<Trainer> {
  const connection = { url: config.redisUrl };
  const db = await QuestDb.connect(config.questdb, {
    klines: config.tables.klines,
    predictions: config.tables.predictions,
    events: config.tables.events,
  });
  await db.ensureSchema();
  const queue = new Queue<RetrainJobData>(config.queueName, { connection });
  queue.on('error', (error) => logRedisError(log, 'queue', error));
  await queue.setGlobalConcurrency(1);
  const checks = new Queue(`${config.queueName}-checks`, { connection });
  checks.on('error', (error) => logRedisError(log, 'checks queue', error));
  const queueEvents = new QueueEvents(config.queueName, { connection });
  queueEvents.on('error', (error) => logRedisError(log, 'queue events', error));
  await queueEvents.waitUntilReady();
  const metrics = createTrainerMetrics(() => queue.getJobCounts('wait', 'active', 'delayed', 'failed'));
  const progressListeners: ((p: CycleProgress) => void)[] = [];
  let lastResult: CycleResult | undefined;
  let lastFailure: string | undefined;
  let running: { jobId: string; progress?: CycleProgress } | undefined;

  const recordEvent = (kind: string, detail: string) =>
    db
      .writeEvents([{ ts: Date.now(), service: 'trainer', kind, count: 1, detail }])
      .catch((error) => log.error({ err: error }, `could not record ${kind} in pipeline_events`));

  /**
   * The retrain holding the deduplication key, when it can no longer run: finished (the key
   * outlived it) or active without a lock (its trainer was killed and no worker has failed it as
   * stalled yet, e.g. a `--once` started right after). Releases the key so a new retrain can start.
   */
  const releaseAbandoned = async (existingId: string): Promise<boolean> => {
    const existing = await queue.getJob(existingId);
    const state = existing ? await existing.getState() : 'unknown';
    if (state === 'waiting' || state === 'delayed' || state === 'prioritized') return false;
    if (state === 'active') {
      const client = await queue.client;
      if ((await client.get(queue.toKey(`${existingId}:lock`))) !== null) return false;
    }
    await queue.removeDeduplicationKey(RETRAIN_DEDUP_ID);
    if (state === 'active') {
      const detail = `retrain ${existingId} was abandoned mid-job (its trainer died; no lock); the champion is unchanged`;
      log.warn(detail);
      await recordEvent('retrain_failed', detail);
    }
    return true;
  };

  const retrainNow = async (trigger: RetrainTrigger, retried = false): Promise<RetrainRequest> => {
    const jobId = `retrain-${trigger}-${randomUUID()}`;
    const job = await queue.add(
      'retrain',
      { trigger },
      {
        jobId,
        deduplication: { id: RETRAIN_DEDUP_ID },
        attempts: 1,
        removeOnComplete: 100,
        removeOnFail: 100,
      },
    );
    if (job.id === jobId) {
      log.info({ jobId, trigger }, 'retrain queued');
      return { jobId, queued: true };
    }
    if (!retried && job.id && (await releaseAbandoned(job.id))) return retrainNow(trigger, true);
    const detail = `retrain (${trigger}) not started: retrain ${job.id} is already queued or running (one at a time)`;
    log.warn({ existing: job.id, trigger }, detail);
    metrics.retrains.inc({ outcome: 'refused' });
    await recordEvent('retrain_refused', detail);
    return { jobId, queued: false, ...(job.id ? { existingJobId: job.id } : {}) };
  };

  let worker: Worker | undefined;
  if (options.work !== false) {
    // A service's first start seeds MODELS_DIR/champion (the predictor's MODEL_DIR) at once, not at
    // the first retrain a week later. A failure is said (log, event, /healthz) and the cycle retries it.
    const registry = await ModelRegistryStore.open(config.questdb, db, config.tables.registry);
    try {
      await registry.ensureSchema();
      await ensureChampion(config, registry, log);
    } catch (error) {
      const detail = `no usable champion in ${config.modelsDir}: ${(error as Error).message}`;
      log.error(detail);
      await recordEvent('champion_missing', detail);
    } finally {
      await registry.close();
    }
    worker = new Worker(config.queueName, processorFile, {
      connection,
      concurrency: 1,
      useWorkerThreads: false,
      workerForkOptions: { env: config.env, execArgv: childExecArgv() },
      lockDuration: config.lockMs,
      stalledInterval: config.lockMs,
      // A training job whose trainer died is not retried behind the operator's back: it fails as
      // stalled (recorded below) and the next scheduled or requested cycle starts clean.
      maxStalledCount: 0,
    });
    worker.on('error', (error) => logRedisError(log, 'worker', error));
    worker.on('active', (job) => {
      running = { jobId: job.id ?? '?' };
    });
    worker.on('progress', (job, progress) => {
      const p = progress as CycleProgress;
      if (running && running.jobId === job.id) running.progress = p;
      metrics.progress.set(p.percent ?? 0);
      for (const listener of progressListeners) listener(p);
    });
    worker.on('completed', (job: Job, result: CycleResult) => {
      running = undefined;
      lastResult = result;
      lastFailure = undefined;
      metrics.retrains.inc({ outcome: result.decision });
      metrics.lastRetrain.set(Date.now() / 1000);
      log.info({ jobId: job.id, ...result }, `retrain done: ${result.reason}`);
    });
  }
  queueEvents.on('failed', ({ jobId, failedReason }) => {
    if (running?.jobId === jobId) running = undefined;
    lastFailure = failedReason;
    metrics.retrains.inc({ outcome: 'failed' });
    // A failure the child could not record itself: it was killed, stalled or crashed.
    if (!failedReason.startsWith(RECORDED_FAILURE) && worker) {
      const detail = `retrain ${jobId} failed and left nothing behind (champion unchanged): ${failedReason}`;
      log.error({ jobId }, detail);
      void recordEvent('retrain_failed', detail);
    }
  });

  // Live macro-F1 (and drift) checks: a separate queue, so they run while a retrain holds the other.
  const checkF1Now = () =>
    checkLiveF1(config, db, log).then(async (check) => {
      if (check.champion && check.liveMacroF1 !== null)
        metrics.liveMacroF1.set({ model_version: check.champion }, check.liveMacroF1);
      if (check.drop) {
        metrics.earlyRetrains.inc({ trigger: 'f1_drop' });
        await retrainNow('f1_drop');
      }
      return check;
    });
  const checkDriftNow = async (): Promise<DriftResult> => {
    if (!options.driftCheck) return { maxPsi: 0, where: 'no drift computation configured', major: [] };
    const champion = await currentChampion(config.modelsDir);
    if (!champion) return { maxPsi: 0, where: 'no champion', major: [] };
    const drift = await options.driftCheck({ config, log, championDir: champion.dir });
    if (drift.major.length > 0) {
      metrics.earlyRetrains.inc({ trigger: 'drift' });
      log.warn(
        { major: drift.major.slice(0, 10), count: drift.major.length },
        `input drift: ${drift.major.length} inputs above their major-drift threshold (${drift.major[0]}): retraining now`,
      );
      await retrainNow('drift');
    }
    return drift;
  };
  const checksWorker = new Worker(
    `${config.queueName}-checks`,
    async (job: Job) => (job.name === 'f1' ? checkF1Now() : job.name === 'drift' ? checkDriftNow() : {}),
    { connection, concurrency: 1 },
  );
  checksWorker.on('error', (error) => logRedisError(log, 'checks worker', error));
  checksWorker.on('failed', (job, error) => log.error({ err: error, job: job?.name }, 'check failed'));

  let closed = false;
  const upsertSchedulers = async () => {
    await queue.upsertJobScheduler(RETRAIN_SCHEDULER_ID, config.schedule, {
      name: 'retrain',
      data: { trigger: 'schedule' },
      opts: { attempts: 1, removeOnComplete: 100, removeOnFail: 100 },
    });
    await checks.upsertJobScheduler(
      F1_CHECK_SCHEDULER_ID,
      { every: config.f1CheckEveryMs },
      { name: 'f1', data: {}, opts: { removeOnComplete: true, removeOnFail: 100 } },
    );
    if (options.driftCheck) {
      await checks.upsertJobScheduler(
        DRIFT_CHECK_SCHEDULER_ID,
        { every: 3_600_000 },
        { name: 'drift', data: {}, opts: { removeOnComplete: true, removeOnFail: 100 } },
      );
    }
  };
  const redis = await queue.client;
  if (options.schedule) {
    await upsertSchedulers();
    redis.on('ready', () => {
      if (closed) return;
      upsertSchedulers().catch((error) => log.error({ err: error }, 'could not upsert the schedulers'));
    });
  }

  // /healthz answers synchronously: the champion link is read every few seconds.
  let champion: { version: string | null; problem?: string } = { version: null };
  const readChampion = () =>
    currentChampion(config.modelsDir).then(
      (c) => {
        champion = { version: c?.version ?? null };
      },
      (error: Error) => {
        champion = { version: null, problem: error.message };
      },
    );
  await readChampion();
  const championTimer = setInterval(() => void readChampion(), 5000);
  championTimer.unref();

  const ops = await startOpsServer({
    port: config.metricsPort,
    host: config.metricsHost,
    registry: metrics.registry,
    health: () => {
      const reasons = [
        ...(redis.status === 'ready' ? [] : [`redis is ${redis.status}`]),
        ...(worker && !worker.isRunning() ? ['the training worker is not running'] : []),
        ...(champion.problem ? [champion.problem] : []),
      ];
      return {
        ok: reasons.length === 0,
        ...(reasons.length > 0 ? { reason: reasons.join('; ') } : {}),
        redis: redis.status,
        champion: champion.version,
        running: running ?? null,
        lastResult: lastResult ?? null,
        lastFailure: lastFailure ?? null,
      };
    },
  });
  log.info({ queue: config.queueName, modelsDir: config.modelsDir, port: ops.port }, 'trainer running');

  return {
    metrics,
    queue,
    opsPort: ops.port,
    retrainNow,
    async waitForJob(jobId) {
      const job = await queue.getJob(jobId);
      if (!job) throw new Error(`retrain ${jobId} is not in the queue`);
      return (await job.waitUntilFinished(queueEvents)) as CycleResult;
    },
    onProgress(listener) {
      progressListeners.push(listener);
    },
    checkF1Now,
    checkDriftNow,
    async close() {
      closed = true;
      clearInterval(championTimer);
      await worker?.close();
      await checksWorker.close();
      await queueEvents.close();
      await checks.close();
      await queue.close();
      await ops.close();
      await db.close();
    },
  };
}
