import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Candle, closesAt, type Interval } from '@regime/candles';
import { hasSharedKlines, readKlineFiles, sharedKlinesDir } from '@regime/candles/files';
import { synthetic5m } from '@regime/candles/synthetic';
import { aggregateSeries } from '@regime/features';
import {
  ModelRegistryStore,
  QuestDb,
  questDbConfigFromEnv,
  type TableNames,
  uniqueTableNames,
} from '@regime/questdb';
import { createLogger } from '@regime/service';

export const DAY = 86_400_000;
export const MINUTE = 60_000;
export const SYMBOL = 'BTCUSDT';
/** The newest candle closes here: the trainer's "now". */
export const END = Date.UTC(2024, 5, 20);
const DATA_FROM = Date.UTC(2024, 4, 10);
const INTERVALS: Interval[] = ['5m', '15m', '1h'];

export const log = createLogger('trainer-test');
log.level = process.env.LOG_LEVEL ?? 'warn';

/** BTCUSDT from ../shared, or synthetic candles when it is missing (said once, never skipped). */
export function fixtureCandles(): Record<Interval, Candle[]> {
  if (hasSharedKlines()) {
    const read = (interval: Interval) =>
      readKlineFiles(sharedKlinesDir(), SYMBOL, interval, { from: DATA_FROM, to: END }).filter(
        (c) => closesAt(interval, c.openTime) <= END,
      );
    return { '5m': read('5m'), '15m': read('15m'), '1h': read('1h') } as Record<Interval, Candle[]>;
  }
  console.warn('../shared/data/klines is missing: the trainer tests run on synthetic candles instead');
  const count = (END - DATA_FROM) / (5 * MINUTE);
  const segment = Math.floor(count / 6);
  const m5 = synthetic5m(
    [
      { candles: segment, drift: 0, vol: 0.001 },
      { candles: segment, drift: 0.0002, vol: 0.0015 },
      { candles: segment, drift: 0, vol: 0.0004 },
      { candles: segment, drift: -0.0003, vol: 0.003 },
      { candles: segment, drift: 0.0001, vol: 0.001 },
      { candles: count - 5 * segment, drift: 0, vol: 0.002 },
    ],
    { start: DATA_FROM, seed: 11 },
  );
  return { '5m': m5, '15m': aggregateSeries(m5, '15m'), '1h': aggregateSeries(m5, '1h') } as Record<
    Interval,
    Candle[]
  >;
}

/** A tiny recipe (a couple of CI minutes at most); `barely` trains on a handful of samples for one epoch. */
export function tinyRecipe(barely = false): object {
  return {
    symbols: [SYMBOL],
    from: '2024-06-01',
    to: '2024-06-20',
    validationFrom: '2024-06-17',
    testFrom: '2024-06-18',
    splitGapHours: 7,
    strideMinutes: { train: 60, validation: 15, test: 15 },
    ...(barely ? { maxTrainSamples: 12 } : {}),
    model: barely
      ? {
          units: 4,
          windowUnits: 2,
          hidden: 4,
          maxEpochs: 1,
          patience: 1,
          batchSize: 4,
          seed: 3,
          learningRate: 0.00001,
        }
      : { units: 8, windowUnits: 4, hidden: 8, maxEpochs: 2, patience: 2, batchSize: 32, seed: 7 },
  };
}

/** One test's world: its tables (klines loaded), registry, queue name, models folder and recipes. */
export class TrainerWorld {
  readonly tables: TableNames = uniqueTableNames('tr');
  readonly registryTable = `model_registry_${this.tables.klines.slice(-14)}`;
  readonly queueName = `trainer-test-${this.tables.klines.slice(-12)}`;
  readonly dir = mkdtempSync(join(tmpdir(), 'trainer-test-'));
  readonly modelsDir = join(this.dir, 'models');
  readonly seedDir = join(this.dir, 'seed');
  readonly recipe = join(this.dir, 'tiny.json');
  readonly barelyRecipe = join(this.dir, 'barely.json');
  db!: QuestDb;
  registry!: ModelRegistryStore;

  async open(withCandles = true): Promise<void> {
    writeFileSync(this.recipe, JSON.stringify(tinyRecipe()));
    writeFileSync(this.barelyRecipe, JSON.stringify(tinyRecipe(true)));
    this.db = await QuestDb.connect(questDbConfigFromEnv(), this.tables);
    await this.db.ensureSchema();
    this.registry = await ModelRegistryStore.open(questDbConfigFromEnv(), this.db, this.registryTable);
    await this.registry.ensureSchema();
    if (withCandles) {
      const candles = fixtureCandles();
      for (const interval of INTERVALS) {
        await this.db.writeKlines(candles[interval].map((c) => ({ ...c, symbol: SYMBOL, interval })));
      }
      await this.db.waitForWal();
    }
  }

  env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    return {
      ...process.env,
      SYMBOLS: SYMBOL,
      KLINES_TABLE: this.tables.klines,
      PREDICTIONS_TABLE: this.tables.predictions,
      EVENTS_TABLE: this.tables.events,
      REGISTRY_TABLE: this.registryTable,
      OUTCOMES_TABLE: `regime_outcomes_${this.tables.klines.slice(-14)}`,
      QUEUE_NAME: this.queueName,
      MODELS_DIR: this.modelsDir,
      SEED_MODEL_DIR: this.seedDir,
      TRAIN_CONFIG: this.recipe,
      EVAL_DAYS: '1',
      VALIDATION_DAYS: '1',
      MIN_TRAIN_DAYS: '3',
      // A tiny model's calibration and switching are not what these tests are about: the gates are
      // tested on their own (promotion.test.ts); here only macro-F1 decides.
      PROMOTE_MAX_ECE: '1',
      PROMOTE_MAX_SWITCH_RATIO: '1000',
      PROMOTE_F1_TOLERANCE: '0',
      METRICS_PORT: '0',
      TRAIN_LOCK_MS: '5000',
      // The training children log as the test does.
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
      ...extra,
    };
  }

  async events(): Promise<{ kind: string; service: string; detail: string }[]> {
    await this.db.waitForWal();
    return this.db.query(`SELECT kind, service, detail FROM ${this.tables.events} ORDER BY ts`);
  }

  async registryRows() {
    await this.registry.waitForWal();
    return this.registry.readAll();
  }

  async close(): Promise<void> {
    await this.registry?.drop().catch(() => {});
    await this.registry?.close();
    await this.db?.dropTables().catch(() => {});
    await this.db?.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Polls until `probe` returns a value; the test's timeout is the only limit (the machine is loaded). */
export async function waitFor<T>(probe: () => Promise<T | undefined> | T | undefined): Promise<T> {
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 200));
  }
}
