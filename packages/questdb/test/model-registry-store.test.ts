import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ModelRegistryStore,
  QuestDb,
  questDbConfigFromEnv,
  type RegistryRow,
  registryRowProblem,
  uniqueTableNames,
} from '../src/index.ts';

const T0 = Date.UTC(2025, 9, 1);
const DAY = 86_400_000;

const evaluated: RegistryRow = {
  ts: T0,
  event: 'evaluated',
  modelVersion: 'regime-model-20251001-000000-abcdef12',
  role: 'challenger',
  trigger: 'schedule',
  championVersion: 'regime-net-v4',
  train: { from: T0 - 400 * DAY, to: T0 - 150 * DAY },
  validation: { from: T0 - 149 * DAY, to: T0 - 29 * DAY },
  evaluation: { from: T0 - 28 * DAY, to: T0 },
  challenger: { macroF1: 0.61, switchesPerDay: 2.5, ece: 0.021 },
  champion: { macroF1: 0.6, switchesPerDay: 2.7, ece: 0.02 },
  reason: 'same evaluation on 24192 samples of 28 days',
  artifactSha256: 'a'.repeat(64),
  path: '/models/versions/regime-model-20251001-000000-abcdef12',
};

describe('model_registry rows', () => {
  it('are validated: a bad field is named', () => {
    expect(registryRowProblem(evaluated)).toBeUndefined();
    expect(registryRowProblem({ ...evaluated, event: 'won' as never })).toMatch(/event "won"/);
    expect(registryRowProblem({ ...evaluated, trigger: 'whim' as never })).toMatch(/trigger "whim"/);
    expect(registryRowProblem({ ...evaluated, modelVersion: 'a b' })).toMatch(/model version/);
    expect(registryRowProblem({ ...evaluated, train: { from: T0, to: T0 } })).toMatch(/train range/);
    expect(
      registryRowProblem({ ...evaluated, champion: { macroF1: Number.NaN, switchesPerDay: 1, ece: 0 } }),
    ).toMatch(/champion metrics/);
    expect(registryRowProblem({ ...evaluated, artifactSha256: 'xyz' })).toMatch(/sha256/);
  });
});

describe('ModelRegistryStore against a real QuestDB', () => {
  let db: QuestDb;
  let store: ModelRegistryStore;
  const table = `model_registry_${uniqueTableNames().klines.slice(-14)}`;

  beforeAll(async () => {
    const config = questDbConfigFromEnv();
    db = await QuestDb.connect(config, uniqueTableNames());
    store = await ModelRegistryStore.open(config, db, table);
    await store.ensureSchema();
  });
  afterAll(async () => {
    await store?.drop();
    await store?.close();
    await db?.close();
  });

  it('writes rows and reads them back as written, nulls where a field does not apply', async () => {
    const failed: RegistryRow = {
      ts: T0 + 1000,
      event: 'failed',
      modelVersion: 'unknown',
      role: 'challenger',
      reason: 'too little settled data',
    };
    await store.write([evaluated, failed]);
    await expect(store.write([{ ...evaluated, ts: -1 }])).rejects.toThrow(/item 0 of 1: ts -1/);
    await store.waitForWal();
    expect(await store.readAll()).toEqual([
      { ...evaluated, decision: undefined },
      {
        ...failed,
        trigger: undefined,
        championVersion: undefined,
        train: undefined,
        validation: undefined,
        evaluation: undefined,
        challenger: undefined,
        champion: undefined,
        decision: undefined,
        artifactSha256: undefined,
        path: undefined,
      },
    ]);
    expect((await store.latest(evaluated.modelVersion, 'evaluated'))?.challenger?.macroF1).toBe(0.61);
    expect(await store.latest(evaluated.modelVersion, 'promoted')).toBeUndefined();
  });
});
