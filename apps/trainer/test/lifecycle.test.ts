import { readlinkSync } from 'node:fs';
import { DRIFT_INPUT_NAMES } from '@regime/model';
import { createTinyModel } from '@regime/model/tiny-model';
import { loadPredictorConfig, type Predictor, startPredictor } from '@regime/predictor';
import { FeatureDriftStore, OutcomeStore, questDbConfigFromEnv } from '@regime/questdb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTrainerConfig } from '../src/config.ts';
import { type CycleProgress, ensureChampion } from '../src/cycle.ts';
import { runDriftCheck } from '../src/drift-job.ts';
import { CHAMPION_LINK, currentChampion } from '../src/models-dir.ts';
import { startTrainer, type Trainer } from '../src/trainer.ts';
import { END, log, MINUTE, SYMBOL, TrainerWorld, waitFor } from './fixture.ts';

/**
 * The model lifecycle end to end on the real QuestDB and Redis: candles in klines, a seed champion (an
 * untrained tiny model), the real predictor reading MODELS_DIR/champion on a clock the test moves; a
 * retrain job (sandboxed child) trains, evaluates and promotes a challenger; the predictor switches
 * to it between two instants, every official and live row exactly once; a second cycle with a recipe
 * that barely trains is rejected and the champion stays.
 */
describe('retrain, promote, switch, reject', () => {
  const world = new TrainerWorld();
  const trainers: Trainer[] = [];
  let predictor: Predictor | undefined;
  let clock = END - 3 * 3_600_000 + 5000;
  const C1 = clock;
  const C2 = C1 + 30 * MINUTE;

  beforeAll(async () => {
    await world.open();
    await createTinyModel(world.seedDir, 'tiny-seed', 3);
  });
  afterAll(async () => {
    for (const t of trainers) {
      await t.queue.obliterate({ force: true }).catch(() => {});
      await t.close().catch(() => {});
    }
    await predictor?.queue.obliterate({ force: true }).catch(() => {});
    await predictor?.close().catch(() => {});
    await world.close();
  });

  const predictorVersion = async () => {
    const body = (await (await fetch(`http://127.0.0.1:${predictor!.opsPort}/healthz`)).json()) as {
      model: string;
    };
    return body.model;
  };
  const rows = async () => {
    await world.db.waitForWal();
    return world.db.query<{ ts: number; mode: string; model_version: string }>(
      `SELECT ts, mode, model_version FROM ${world.tables.predictions} WHERE symbol = '${SYMBOL}' ORDER BY ts`,
    );
  };
  const instants = (step: number, from: number, to: number) => {
    const out: number[] = [];
    for (let t = Math.ceil(from / step) * step; t <= to; t += step) out.push(t);
    return out;
  };
  const CATCHUP = 40 * MINUTE;
  const expected = (mode: 'official' | 'live', until: number) =>
    instants(mode === 'official' ? 5 * MINUTE : MINUTE, C1 - 5000 - CATCHUP + 1, until - 5000);
  const hasAll = async (until: number) => {
    const r = await rows();
    const have = (mode: string) => new Set(r.filter((x) => x.mode === mode).map((x) => x.ts));
    const official = have('official');
    const live = have('live');
    return expected('official', until).every((t) => official.has(t)) &&
      expected('live', until).every((t) => live.has(t))
      ? r
      : undefined;
  };
  const tick = async () => {
    for (const mode of ['official', 'live'])
      await predictor!.queue.add(
        'tick',
        { mode },
        { jobId: `tick-${mode}-${clock}`, removeOnComplete: true },
      );
  };

  it('promotes a trained challenger over an untrained champion; the predictor switches at one instant', async () => {
    const config = loadTrainerConfig(world.env());
    await ensureChampion(config, world.registry, log);
    expect(readlinkSync(`${world.modelsDir}/${CHAMPION_LINK}`)).toBe('versions/tiny-seed');

    predictor = await startPredictor(
      loadPredictorConfig({
        ...world.env(),
        MODEL_DIR: `${world.modelsDir}/${CHAMPION_LINK}`,
        QUEUE_NAME: `${world.queueName}-p`,
        OFFICIAL_OFFSET_MS: '5000',
        LIVE_OFFSET_MS: '5000',
        OFFICIAL_CATCHUP_MS: String(CATCHUP),
        LIVE_CATCHUP_MS: String(CATCHUP),
        LIVE_MAX_AGE_MS: String(3 * CATCHUP),
        RETRY_ATTEMPTS: '3',
        RETRY_BACKOFF_MS: '100',
        MODEL_MAX_AGE_DAYS: '100000',
      }),
      log,
      { clock: { now: () => clock, close: () => {} } },
    );
    await waitFor(() => hasAll(C1));
    expect(await predictorVersion()).toBe('tiny-seed');

    const trainer = await startTrainer(config, log, { schedule: false });
    trainers.push(trainer);
    const progress: CycleProgress[] = [];
    trainer.onProgress((p) => progress.push(p));
    const request = await trainer.retrainNow('once');
    expect(request.queued).toBe(true);
    const result = await trainer.waitForJob(request.jobId);
    expect(result.decision, result.reason).toBe('promoted');
    expect(result.championBefore).toBe('tiny-seed');
    expect((await currentChampion(world.modelsDir))?.version).toBe(result.version);
    // Progress came through the job, epochs included.
    expect(progress.some((p) => p.stage === 'training' && p.epoch === 1)).toBe(true);
    expect(progress.at(-1)?.percent).toBe(100);

    await waitFor(async () => ((await predictorVersion()) === result.version ? true : undefined));
    clock = C2;
    await tick();
    const all = await waitFor(() => hasAll(C2));

    for (const mode of ['official', 'live'] as const) {
      const mine = all.filter((r) => r.mode === mode);
      // Exactly once each, and nothing else.
      expect(mine.map((r) => r.ts)).toEqual(expected(mode, C2));
      // One switch, between the last instant before the promotion and the first after it.
      const before = mine.filter((r) => r.ts <= C1 - 5000);
      const after = mine.filter((r) => r.ts > C1 - 5000);
      expect(new Set(before.map((r) => r.model_version))).toEqual(new Set(['tiny-seed']));
      expect(new Set(after.map((r) => r.model_version))).toEqual(new Set([result.version]));
      expect(after.length).toBeGreaterThan(0);
    }

    const registry = await world.registryRows();
    const events = (v: string) => registry.filter((r) => r.modelVersion === v).map((r) => r.event);
    expect(events('tiny-seed')).toEqual(['trained', 'promoted']);
    expect(events(result.version)).toEqual(['trained', 'evaluated', 'promoted']);
    const promoted = registry.find((r) => r.modelVersion === result.version && r.event === 'promoted')!;
    expect(promoted.decision).toBe('promoted');
    expect(promoted.championVersion).toBe('tiny-seed');
    expect(promoted.challenger!.macroF1).toBeGreaterThanOrEqual(promoted.champion!.macroF1);
    expect(promoted.artifactSha256).toMatch(/^[0-9a-f]{64}$/);
    // The evaluation window is after everything the challenger was fitted or tuned on.
    expect(promoted.validation!.to).toBeLessThanOrEqual(promoted.evaluation!.from);
    expect(promoted.train!.to).toBeLessThan(promoted.validation!.from);
    expect(promoted.evaluation!.to).toBeLessThanOrEqual(END);
  });

  it('rejects a challenger that barely trains, and the champion stays', async () => {
    const champion = (await currentChampion(world.modelsDir))!.version;
    await trainers.pop()!.close();
    const trainer = await startTrainer(
      loadTrainerConfig(world.env({ TRAIN_CONFIG: world.barelyRecipe })),
      log,
      {
        schedule: false,
      },
    );
    trainers.push(trainer);
    const request = await trainer.retrainNow('once');
    const result = await trainer.waitForJob(request.jobId);
    expect(result.decision, result.reason).toBe('rejected');
    expect(result.reason).toMatch(/macro-F1 .* < champion/);
    expect((await currentChampion(world.modelsDir))?.version).toBe(champion);
    expect(await predictorVersion()).toBe(champion);
    const registry = await world.registryRows();
    const rejected = registry.find((r) => r.modelVersion === result.version && r.event === 'rejected')!;
    expect(rejected.decision).toBe('rejected');
    expect(rejected.championVersion).toBe(champion);
    expect(rejected.challenger!.macroF1).toBeLessThan(rejected.champion!.macroF1);
  });

  it("queues an early retrain when the live macro-F1 drops, and writes the champion's input drift", async () => {
    const champion = (await currentChampion(world.modelsDir))!.version;
    const config = loadTrainerConfig(world.env());
    await trainers.pop()!.close();
    const trainer = await startTrainer(config, log, { schedule: false, driftCheck: runDriftCheck });
    trainers.push(trainer);

    // A week of outcomes the champion got all wrong: live macro-F1 0, far below its evaluation's.
    const outcomes = await OutcomeStore.open(questDbConfigFromEnv(), world.db, config.tables.outcomes);
    await outcomes.ensureSchema();
    const p = {
      strong_trend: 0,
      weak_trend: 0,
      range: 1,
      squeeze: 0,
      volatility_spike: 0,
      choppy_high_vol: 0,
    };
    await outcomes.write(
      Array.from({ length: 48 }, (_, i) => ({
        ts: C1 - i * 5 * MINUTE,
        symbol: SYMBOL,
        modelVersion: champion,
        predicted: 'range' as const,
        probabilities: p,
        realised: 'squeeze' as const,
        correct: false,
        settledAt: C1 - i * 5 * MINUTE + 7 * 3_600_000,
        labelerVersion: 'labeler-2',
        next4h: null,
      })),
    );
    await outcomes.waitForWal();
    const check = await trainer.checkF1Now();
    await outcomes.drop();
    await outcomes.close();
    expect(check.liveMacroF1).toBe(0);
    expect(check.drop).toBe(true);
    const queued = await waitFor(async () => {
      const jobs = await trainer.queue.getJobs(['waiting', 'active', 'completed', 'failed']);
      return jobs.find((j) => j.data.trigger === 'f1_drop');
    });
    await trainer.waitForJob(queued.id!).catch(() => {});

    // Drift of the champion's inputs over the 24 h before the newest candle, one row per input.
    const drift = await trainer.checkDriftNow();
    const store = await FeatureDriftStore.open(questDbConfigFromEnv(), world.db, config.tables.drift);
    await store.waitForWal();
    const rows = await store.read(SYMBOL, 0, END + 1);
    await store.drop();
    await store.close();
    const now = (await currentChampion(world.modelsDir))!.version;
    expect(rows.length).toBe(DRIFT_INPUT_NAMES.length);
    expect(new Set(rows.map((r) => r.modelVersion))).toEqual(new Set([now]));
    expect(Math.max(...rows.map((r) => r.psi))).toBeCloseTo(drift.maxPsi, 12);
    const jobs = await trainer.queue.getJobs(['waiting', 'active', 'completed', 'failed']);
    // A retrain exactly when some input is above its own major-drift threshold.
    const major = rows.filter((r) => r.psi > r.threshold);
    expect(drift.major).toHaveLength(major.length);
    expect(jobs.some((j) => j.data.trigger === 'drift')).toBe(major.length > 0);
    const driftJob = jobs.find((j) => j.data.trigger === 'drift');
    if (driftJob) await trainer.waitForJob(driftJob.id!).catch(() => {});
  });
});
