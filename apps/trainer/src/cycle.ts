import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import {
  candleRange,
  historyHash,
  initTensorflow,
  labelerParams,
  labelHorizonMs,
  type PipelineProgress,
  parseTrainConfig,
  readInferenceArtifact,
  type SymbolHistory,
  type TrainConfig,
  trainPipeline,
  writeArtifact,
} from '@regime/model';
import { type CandleSource, questDbCandleSource } from '@regime/model/candle-source';
import {
  type InstantRange,
  ModelRegistryStore,
  QuestDb,
  type RegistryRow,
  type RetrainTrigger,
} from '@regime/questdb';
import type { Logger } from '@regime/service';
import type { TrainerConfig } from './config.ts';
import { historyUntil, scoreOnWindow } from './evaluation.ts';
import {
  artifactSha256,
  commitVersion,
  currentChampion,
  importVersion,
  pruneVersions,
  removeStaleStaging,
  stagingDir,
  switchChampion,
  versionDir,
} from './models-dir.ts';
import { decidePromotion } from './promotion.ts';

const DAY = 86_400_000;
const STEP = 5 * 60_000;
const iso = (t: number) => new Date(t).toISOString();

/** The prefix of errors the training child has already recorded in model_registry and pipeline_events. */
export const RECORDED_FAILURE = 'retrain failed:';

/** A retrain that cannot run on the data at hand (too little settled data, no candles): nothing is trained. */
export class RetrainRefusedError extends Error {
  override name = 'RetrainRefusedError';
}

/** What one cycle reports to its job (and `--once` prints). */
export interface CycleProgress {
  stage: 'data' | PipelineProgress['stage'] | 'evaluation' | 'done';
  /** 0..100, for the job's progress. */
  percent: number;
  epoch?: number;
  maxEpochs?: number;
  loss?: number;
  validationMacroF1?: number;
  text: string;
}

export interface CycleResult {
  version: string;
  championBefore: string;
  champion: string;
  decision: 'promoted' | 'rejected';
  reason: string;
  periods: { train: InstantRange; validation: InstantRange; evaluation: InstantRange };
}

/** The windows of one cycle: evaluation = the newest settled EVAL_DAYS, validation the days before. */
export interface CyclePlan {
  config: TrainConfig;
  evaluation: InstantRange;
  validationFrom: number;
  /** Candles used for fitting and tuning end here (the evaluation window's start). */
  knownUntil: number;
}

/**
 * Plans a cycle from the newest settled instant (whose label horizon has closed in every symbol's
 * candles) and the recipe. Pure: the caller reads the candles' extent.
 */
export function planCycle(
  recipe: TrainConfig,
  symbols: string[],
  newestClose: number,
  dataStart: number,
  opts: { evalDays: number; validationDays: number | undefined; minTrainDays: number },
): CyclePlan {
  const params = labelerParams(recipe);
  const stride = recipe.strideMinutes.test * 60_000;
  const evalTo = Math.floor((newestClose - labelHorizonMs(params)) / stride) * stride;
  const evalFrom = evalTo - opts.evalDays * DAY;
  const recipeValidation =
    recipe.validationFrom !== undefined && recipe.testFrom !== undefined
      ? recipe.testFrom - recipe.validationFrom
      : 28 * DAY;
  const validationFrom =
    Math.floor((evalFrom - (opts.validationDays ?? recipeValidation / DAY) * DAY) / STEP) * STEP;
  const gap = recipe.splitGapHours * 3_600_000;
  // The recipe's start, or later when the candles (and the label history they need) start later.
  const warmup = recipe.from - candleRange({ from: recipe.from, to: recipe.from + 1 }, params).from;
  const from = Math.max(recipe.from, Math.ceil((dataStart + warmup) / DAY) * DAY);
  const trainDays = (validationFrom - gap - from) / DAY;
  if (!(trainDays >= opts.minTrainDays)) {
    throw new RetrainRefusedError(
      `too little settled data: ${trainDays.toFixed(1)} training days (${iso(from)} .. ${iso(validationFrom - gap)}) ` +
        `before ${opts.validationDays ?? recipeValidation / DAY} validation days and the ${opts.evalDays}-day evaluation ` +
        `window ending ${iso(evalTo)}; MIN_TRAIN_DAYS is ${opts.minTrainDays}`,
    );
  }
  const config: TrainConfig = {
    ...recipe,
    symbols,
    from,
    to: evalTo,
    validationFrom,
    testFrom: evalFrom,
    // The recipe's smoke check names fixed dates that a moving window does not contain.
    smoke: undefined,
  };
  return { config, evaluation: { from: evalFrom, to: evalTo }, validationFrom, knownUntil: evalFrom };
}

interface Stores {
  db: QuestDb;
  registry: ModelRegistryStore;
  source: CandleSource;
}

async function openStores(config: TrainerConfig): Promise<Stores> {
  const db = await QuestDb.connect(config.questdb, {
    klines: config.tables.klines,
    predictions: config.tables.predictions,
    events: config.tables.events,
  });
  await db.ensureSchema();
  const registry = await ModelRegistryStore.open(config.questdb, db, config.tables.registry);
  await registry.ensureSchema();
  const source = await questDbCandleSource(config.questdb, {
    klines: config.tables.klines,
    predictions: config.tables.predictions,
    events: config.tables.events,
  });
  return { db, registry, source };
}

async function closeStores(s: Stores): Promise<void> {
  await s.source.close();
  await s.registry.close();
  await s.db.close();
}

/**
 * The newest 5m close common to every symbol, and the oldest 5m open of any: a pair whose candles
 * start later contributes from its start (the dataset skips instants without their history), it does
 * not hold the others back.
 */
async function candleExtent(db: QuestDb, table: string, symbols: string[]) {
  let newestClose = Number.POSITIVE_INFINITY;
  let dataStart = Number.POSITIVE_INFINITY;
  for (const symbol of symbols) {
    const [row] = await db.query<{ first: number | null; last: number | null }>(
      `SELECT min(ts) first, max(ts) last FROM ${table} WHERE symbol = $1 AND "interval" = '5m' AND closed = true`,
      [symbol],
    );
    if (row?.first == null || row.last == null)
      throw new RetrainRefusedError(`no closed 5m candles of ${symbol} in ${table}`);
    newestClose = Math.min(newestClose, Number(row.last) + STEP);
    dataStart = Math.min(dataStart, Number(row.first));
  }
  return { newestClose, dataStart };
}

/**
 * The champion in service, seeding MODELS_DIR with SEED_MODEL_DIR when it has none (first start):
 * the seed is registered (trained + promoted) like any version, so its age is known.
 */
export async function ensureChampion(
  config: TrainerConfig,
  registry: ModelRegistryStore,
  log: Logger,
): Promise<{ version: string; dir: string }> {
  const existing = await currentChampion(config.modelsDir);
  if (existing) return existing;
  const seed = await readInferenceArtifact(config.seedModelDir).catch((error: Error) => {
    throw new Error(
      `no champion in ${config.modelsDir}, and the seed ${config.seedModelDir} is unusable: ${error.message}`,
    );
  });
  const version = seed.metadata.version;
  let dir: string;
  try {
    dir = await importVersion(config.modelsDir, config.seedModelDir, version);
  } catch (error) {
    // Two trainers starting at once: the other one seeded it first.
    const seeded = await currentChampion(config.modelsDir).catch(() => undefined);
    if (seeded) return seeded;
    throw error;
  }
  await switchChampion(config.modelsDir, version);
  const periods = seed.metadata.training.periods;
  const range = (p: { from: string; to: string }) => ({ from: Date.parse(p.from), to: Date.parse(p.to) });
  const sha = await artifactSha256(dir);
  const base = { modelVersion: version, role: 'champion' as const, artifactSha256: sha, path: dir };
  await registry.write([
    {
      ...base,
      ts: Date.now(),
      event: 'trained',
      train: range(periods.train),
      validation: range(periods.validation),
      reason: `seed champion copied from ${config.seedModelDir}`,
    },
    {
      ...base,
      ts: Date.now() + 1,
      event: 'promoted',
      decision: 'promoted',
      reason: 'seed champion (first start)',
    },
  ]);
  log.info({ version, dir }, 'MODELS_DIR had no champion: seeded it');
  return { version, dir };
}

/**
 * One retrain: plan the windows, train a challenger with the recipe on the candles before the
 * evaluation window, score champion and challenger with the same evaluation on that window, promote
 * or reject, prune old versions. Every step is a model_registry row; a failure is a `failed` row and a
 * pipeline_events row (kind retrain_failed), and the champion is left as it was.
 */
export async function runRetrainCycle(
  config: TrainerConfig,
  trigger: RetrainTrigger,
  log: Logger,
  onProgress: (p: CycleProgress) => void = () => {},
): Promise<CycleResult> {
  const stores = await openStores(config);
  const { db, registry, source } = stores;
  let version = `pending-${Date.now()}`;
  let championVersion: string | undefined;
  try {
    const stale = await removeStaleStaging(config.modelsDir);
    if (stale.length > 0) log.warn({ stale }, 'removed staging folders left by an interrupted cycle');
    const champion = await ensureChampion(config, registry, log);
    championVersion = champion.version;
    // The champion must be usable before anything is trained: it is the yardstick.
    await readInferenceArtifact(champion.dir).catch((error: Error) => {
      throw new Error(`the champion ${champion.version} (${champion.dir}) cannot be read: ${error.message}`);
    });

    const recipePath = config.trainConfigPath;
    const recipe = parseTrainConfig(await readFile(recipePath, 'utf8'), recipePath);
    onProgress({ stage: 'data', percent: 1, text: 'reading candles' });
    const extent = await candleExtent(db, config.tables.klines, config.symbols);
    const plan = planCycle(recipe, config.symbols, extent.newestClose, extent.dataStart, config);
    const params = labelerParams(plan.config);
    const trainRange = candleRange({ from: plan.config.from, to: plan.knownUntil }, params);
    const inputs: SymbolHistory[] = [];
    for (const symbol of config.symbols) {
      const history = historyUntil(await source.history(symbol, trainRange), plan.knownUntil);
      inputs.push({ symbol, history });
    }
    // Date and second of the run plus the data hash, as `regime-model train` names its versions.
    const stamp = iso(Date.now()).slice(0, 19).replace(/[-:]/g, '').replace('T', '-');
    version = `regime-model-${stamp}-${historyHash(inputs).slice(0, 8)}`;
    if (existsSync(versionDir(config.modelsDir, version))) version += `-${randomBytes(2).toString('hex')}`;
    const { backend } = await initTensorflow();
    log.info(
      {
        version,
        trigger,
        backend,
        symbols: config.symbols,
        train: `${iso(plan.config.from)} .. ${iso(plan.validationFrom)}`,
        evaluation: `${iso(plan.evaluation.from)} .. ${iso(plan.evaluation.to)}`,
      },
      `training challenger ${version}`,
    );
    const maxEpochs = plan.config.model.maxEpochs;
    const trained = await trainPipeline(inputs, plan.config, { backend, version }, (p) => {
      if (p.epoch) {
        log.info(
          { epoch: p.epoch.epoch, loss: p.epoch.loss, validationMacroF1: p.epoch.validationMacroF1 },
          `epoch ${p.epoch.epoch}/${maxEpochs}: loss ${p.epoch.loss.toFixed(4)}, val macro-F1 ${p.epoch.validationMacroF1.toFixed(4)}`,
        );
        onProgress({
          stage: 'training',
          percent: 10 + (75 * p.epoch.epoch) / maxEpochs,
          epoch: p.epoch.epoch,
          maxEpochs,
          loss: p.epoch.loss,
          validationMacroF1: p.epoch.validationMacroF1,
          text: `epoch ${p.epoch.epoch}/${maxEpochs} done`,
        });
      } else if (p.batch && p.batch.done % 20 === 0) {
        onProgress({
          stage: 'training',
          percent: 10 + (75 * (p.batch.epoch - 1 + p.batch.done / p.batch.total)) / maxEpochs,
          epoch: p.batch.epoch,
          maxEpochs,
          loss: p.batch.loss,
          text: `epoch ${p.batch.epoch}/${maxEpochs}`,
        });
      } else if (p.stage !== 'training' && !p.dataset) {
        onProgress({ stage: p.stage, percent: p.stage === 'decision' ? 86 : 8, text: p.stage });
      }
    });
    const staged = await stagingDir(config.modelsDir, version);
    await writeArtifact(staged, trained);
    trained.model.dispose();
    const dir = await commitVersion(config.modelsDir, staged, version);
    const sha = await artifactSha256(dir);
    const periods = trained.metadata.training.periods;
    const range = (p: { from: string; to: string }) => ({ from: Date.parse(p.from), to: Date.parse(p.to) });
    const ranges = {
      train: range(periods.train),
      validation: range(periods.validation),
      evaluation: plan.evaluation,
    };
    const row = (
      r: Omit<RegistryRow, 'ts' | 'modelVersion' | 'trigger' | 'championVersion'>,
    ): RegistryRow => ({
      ts: Date.now(),
      modelVersion: version,
      trigger,
      championVersion: champion.version,
      ...ranges,
      artifactSha256: sha,
      path: dir,
      ...r,
    });
    await registry.write([row({ event: 'trained', role: 'challenger', reason: `trained on ${backend}` })]);

    onProgress({ stage: 'evaluation', percent: 88, text: 'evaluating champion and challenger' });
    const evalRange = candleRange(plan.evaluation, params);
    const evalInputs: SymbolHistory[] = [];
    for (const symbol of config.symbols)
      evalInputs.push({ symbol, history: await source.history(symbol, evalRange) });
    const stride = plan.config.strideMinutes.test;
    const score = async (artifactDir: string) => {
      return await scoreOnWindow(
        await readInferenceArtifact(artifactDir),
        evalInputs,
        plan.evaluation,
        stride,
      );
    };
    const challengerScore = await score(dir);
    const championScore = await score(champion.dir);
    const metrics = { challenger: challengerScore.metrics, champion: championScore.metrics };
    await registry.write([
      row({
        event: 'evaluated',
        role: 'challenger',
        ...metrics,
        reason: `same evaluation on ${challengerScore.samples} samples of ${config.evalDays} days`,
      }),
    ]);
    const decision = decidePromotion(
      challengerScore.metrics,
      championScore.metrics,
      challengerScore.labelSwitchesPerDay,
      config.promotion,
    );
    if (decision.promote) {
      await switchChampion(config.modelsDir, version);
      await registry.write([
        row({
          event: 'promoted',
          role: 'champion',
          decision: 'promoted',
          ...metrics,
          reason: decision.reason,
        }),
      ]);
    } else {
      await registry.write([
        row({
          event: 'rejected',
          role: 'challenger',
          decision: 'rejected',
          ...metrics,
          reason: decision.reason,
        }),
      ]);
    }
    log.info({ version, championVersion: champion.version, ...metrics }, decision.reason);
    const newChampion = decision.promote ? version : champion.version;
    const retired = await pruneVersions(config.modelsDir, config.keepModels, newChampion);
    if (retired.length > 0) {
      await registry.write(
        retired.map((v, i) => ({
          ts: Date.now() + i,
          event: 'retired' as const,
          modelVersion: v,
          role: 'challenger' as const,
          reason: `deleted from MODELS_DIR: only the newest KEEP_MODELS (${config.keepModels}) are kept`,
          path: versionDir(config.modelsDir, v),
        })),
      );
    }
    onProgress({ stage: 'done', percent: 100, text: decision.reason });
    return {
      version,
      championBefore: champion.version,
      champion: newChampion,
      decision: decision.promote ? 'promoted' : 'rejected',
      reason: decision.reason,
      periods: ranges,
    };
  } catch (error) {
    const message = (error as Error).message;
    log.error({ err: error, version, trigger }, `retrain failed: ${message}`);
    await recordFailure(db, registry, { version, trigger, championVersion, message }).catch((writeError) =>
      log.error({ err: writeError }, 'could not record the failed retrain'),
    );
    throw new Error(`${RECORDED_FAILURE} ${message}`, { cause: error });
  } finally {
    await closeStores(stores);
  }
}

async function recordFailure(
  db: QuestDb,
  registry: ModelRegistryStore,
  f: { version: string; trigger: RetrainTrigger; championVersion: string | undefined; message: string },
): Promise<void> {
  const version = /^[A-Za-z0-9._:+-]{1,64}$/.test(f.version) ? f.version : 'unknown';
  await registry.write([
    {
      ts: Date.now(),
      event: 'failed',
      modelVersion: version,
      role: 'challenger',
      trigger: f.trigger,
      ...(f.championVersion && /^[A-Za-z0-9._:+-]{1,64}$/.test(f.championVersion)
        ? { championVersion: f.championVersion }
        : {}),
      reason: f.message.slice(0, 2000),
    },
  ]);
  await db.writeEvents([
    {
      ts: Date.now(),
      service: 'trainer',
      kind: 'retrain_failed',
      count: 1,
      detail: `retrain (${f.trigger}) failed; the champion ${f.championVersion ?? '(none)'} is unchanged: ${f.message}`,
    },
  ]);
}
