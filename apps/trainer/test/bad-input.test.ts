import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTinyModel } from '@regime/model/tiny-model';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTrainerConfig } from '../src/config.ts';
import { ensureChampion } from '../src/cycle.ts';
import { CHAMPION_LINK, currentChampion, VERSIONS } from '../src/models-dir.ts';
import { startTrainer, type Trainer } from '../src/trainer.ts';
import { log, TrainerWorld, waitFor } from './fixture.ts';

const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));

/**
 * What goes wrong: each case is a clear error, a pipeline_events row (and a `failed` registry row
 * where a cycle ran), and an unchanged champion.
 */
describe('trainer bad input', () => {
  const world = new TrainerWorld();
  const trainers: Trainer[] = [];
  let child: ChildProcess | undefined;
  let n = 0;

  beforeAll(async () => {
    await world.open();
    await createTinyModel(world.seedDir, 'tiny-seed', 3);
  });
  afterAll(async () => {
    if (child?.pid && child.exitCode === null && child.signalCode === null)
      process.kill(-child.pid, 'SIGKILL');
    for (const t of trainers) {
      await t.queue.obliterate({ force: true }).catch(() => {});
      await t.close().catch(() => {});
    }
    await world.close();
  });

  /** A case of its own: a fresh MODELS_DIR and queue, the shared candles and tables. */
  const scenario = (extra: Record<string, string> = {}) => {
    n++;
    const env = world.env({
      MODELS_DIR: join(world.dir, `models-${n}`),
      QUEUE_NAME: `${world.queueName}-${n}`,
      ...extra,
    });
    return { env, config: loadTrainerConfig(env) };
  };
  const start = async (config: ReturnType<typeof loadTrainerConfig>) => {
    const trainer = await startTrainer(config, log, { schedule: false });
    trainers.push(trainer);
    return trainer;
  };
  const failedWith = async (trainer: Trainer, pattern: RegExp) => {
    const request = await trainer.retrainNow('once');
    await expect(trainer.waitForJob(request.jobId)).rejects.toThrow(pattern);
  };
  const eventsMatching = async (kind: string, pattern: RegExp) =>
    (await world.events()).filter((e) => e.kind === kind && pattern.test(e.detail));

  it('too little settled data: refused before training', async () => {
    const { config } = scenario({ MIN_TRAIN_DAYS: '1000' });
    await failedWith(await start(config), /too little settled data: .* MIN_TRAIN_DAYS is 1000/);
    expect(
      await eventsMatching('retrain_failed', /champion tiny-seed is unchanged: too little settled data/),
    ).toHaveLength(1);
    const failed = (await world.registryRows()).filter(
      (r) => r.event === 'failed' && /too little/.test(r.reason),
    );
    expect(failed).toHaveLength(1);
    expect((await currentChampion(config.modelsDir))?.version).toBe('tiny-seed');
    expect(readdirSync(join(config.modelsDir, VERSIONS))).toEqual(['tiny-seed']);
  });

  it('a corrupt champion artifact: nothing is trained against it', async () => {
    const { config } = scenario();
    await ensureChampion(config, world.registry, log);
    writeFileSync(join(config.modelsDir, VERSIONS, 'tiny-seed', 'metadata.json'), '{"format": 4, "vers');
    await failedWith(await start(config), /the champion tiny-seed .* cannot be read/);
    expect(await eventsMatching('retrain_failed', /cannot be read/)).toHaveLength(1);
    expect((await currentChampion(config.modelsDir))?.version).toBe('tiny-seed');
    expect(readdirSync(join(config.modelsDir, VERSIONS))).toEqual(['tiny-seed']);
  });

  it('the champion (and its registry row) pointing at a deleted folder', async () => {
    const { config } = scenario();
    await ensureChampion(config, world.registry, log);
    rmSync(join(config.modelsDir, VERSIONS, 'tiny-seed'), { recursive: true });
    await failedWith(await start(config), /champion points at .*tiny-seed, which does not exist/);
    expect(await eventsMatching('retrain_failed', /which does not exist/)).toHaveLength(1);
  });

  it('a missing seed artifact: no champion is made up', async () => {
    const { config } = scenario({ SEED_MODEL_DIR: join(world.dir, 'no-such-model') });
    await failedWith(await start(config), /no champion in .*, and the seed .*no-such-model is unusable/);
    expect(await eventsMatching('retrain_failed', /no-such-model is unusable/)).toHaveLength(1);
    expect(existsSync(join(config.modelsDir, CHAMPION_LINK))).toBe(false);
  });

  it('two trainers started at once: one trains, the other says why not', async () => {
    const { config } = scenario();
    const [a, b] = [await start(config), await start(config)];
    const requests = await Promise.all([a.retrainNow('once'), b.retrainNow('once')]);
    const queued = requests.filter((r) => r.queued);
    const refused = requests.filter((r) => !r.queued);
    expect(queued).toHaveLength(1);
    expect(refused).toHaveLength(1);
    expect(refused[0]!.existingJobId).toBe(queued[0]!.jobId);
    expect(await eventsMatching('retrain_refused', /already queued or running/)).toHaveLength(1);
    const result = await a.waitForJob(queued[0]!.jobId);
    expect(result.decision).toBe('promoted');
    // One challenger trained: the seed and it.
    expect(readdirSync(join(config.modelsDir, VERSIONS)).sort()).toEqual(
      [result.version, 'tiny-seed'].sort(),
    );
  });

  it('a trainer killed mid-job: the next request releases it at once, and its cycle runs clean', async () => {
    const { env, config } = scenario();
    child = spawn(process.execPath, ['--import', 'tsx', 'apps/trainer/src/main.ts', '--once'], {
      cwd: repoRoot,
      env: { ...env, LOG_PRETTY: '0', LOG_LEVEL: 'warn' },
      stdio: 'ignore',
      detached: true,
    });
    const queue = new Queue(config.queueName, { connection: { url: config.redisUrl } });
    let killedJob = '';
    try {
      killedJob = await waitFor(async () => {
        const [job] = await queue.getJobs(['active']);
        return (job?.progress as { stage?: string } | undefined)?.stage === 'training' ? job!.id : undefined;
      });
      // The whole process group: the trainer and its training child, as a container stop would.
      process.kill(-child.pid!, 'SIGKILL');
      await waitFor(() => (child!.exitCode !== null || child!.signalCode !== null ? true : undefined));
      expect((await currentChampion(config.modelsDir))?.version).toBe('tiny-seed');
      // Its lock expires (TRAIN_LOCK_MS): the job is still "active", held by nobody.
      const redis = await queue.client;
      await waitFor(async () =>
        (await redis.get(queue.toKey(`${killedJob}:lock`))) === null ? true : undefined,
      );
    } finally {
      await queue.close();
    }

    // A new trainer asked at once (as `--once` is) does not wait for the stalled check: it releases the
    // abandoned job, says so, and trains.
    const trainer = await start(config);
    const request = await trainer.retrainNow('once');
    expect(request.queued).toBe(true);
    // Recorded by whichever saw it first: this request (abandoned) or the worker's stalled check.
    await waitFor(async () =>
      (await eventsMatching('retrain_failed', /abandoned mid-job|left nothing behind/)).length > 0
        ? true
        : undefined,
    );
    const result = await trainer.waitForJob(request.jobId);
    expect(result.decision).toBe('promoted');
    expect((await currentChampion(config.modelsDir))?.version).toBe(result.version);
    // No staging folder of the killed cycle is left.
    expect(readdirSync(config.modelsDir).filter((f) => f.startsWith('.tmp-'))).toEqual([]);
  });
});
