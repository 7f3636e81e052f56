import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type FeatureDriftRow,
  FeatureDriftStore,
  featureDriftProblem,
  QuestDb,
  questDbConfigFromEnv,
  uniqueTableNames,
} from '../src/index.ts';

const T0 = Date.UTC(2025, 5, 1, 12);
const HOUR = 3_600_000;

const row = (i: number, overrides: Partial<FeatureDriftRow> = {}): FeatureDriftRow => ({
  ts: T0 + Math.floor(i / 3) * HOUR,
  symbol: 'BTCUSDT',
  feature: ['window.rsi_15m', 'calendar.day_sin', 'view_bars.net_atr'][i % 3]!,
  psi: i / 7,
  threshold: 0.25 + i / 100,
  modelVersion: 'regime-net-v4',
  ...overrides,
});

describe('feature drift rows', () => {
  it('are validated: a bad field is named', () => {
    expect(featureDriftProblem(row(1))).toBeUndefined();
    expect(featureDriftProblem(row(1, { psi: Number.NaN }))).toMatch(/psi NaN/);
    expect(featureDriftProblem(row(1, { psi: -0.1 }))).toMatch(/psi -0.1/);
    expect(featureDriftProblem(row(1, { feature: "x'; DROP" }))).toMatch(/not a model input name/);
    expect(featureDriftProblem(row(1, { symbol: 'btc usdt' }))).toMatch(/symbol/);
    expect(featureDriftProblem(row(1, { ts: 1.5 }))).toMatch(/ts 1.5/);
    expect(featureDriftProblem(row(1, { modelVersion: '' }))).toMatch(/model version/);
    expect(featureDriftProblem(row(1, { threshold: 0 }))).toMatch(/threshold 0/);
  });
});

describe('FeatureDriftStore against a real QuestDB', () => {
  let db: QuestDb;
  let store: FeatureDriftStore;

  beforeAll(async () => {
    const config = questDbConfigFromEnv();
    const tables = uniqueTableNames('drift');
    db = await QuestDb.connect(config, tables);
    store = await FeatureDriftStore.open(config, db, `feature_drift_${tables.klines.slice(-17)}`);
    await store.ensureSchema();
    await store.ensureSchema(); // idempotent
  });

  afterAll(async () => {
    await store?.drop();
    await store?.close();
    await db?.close();
  });

  it('the rows land, and recomputing an hour replaces its rows (key ts, symbol, feature)', async () => {
    const rows = [0, 1, 2, 3, 4, 5].map((i) => row(i));
    await store.write(rows);
    await store.write([row(4, { psi: 0.3, modelVersion: 'regime-net-v5' })]);
    await store.waitForWal();
    const back = await store.read('BTCUSDT', T0, T0 + 2 * HOUR);
    const sorted = [...rows].sort((a, b) => a.ts - b.ts || a.feature.localeCompare(b.feature));
    const expected = sorted.map((r) =>
      r.ts === row(4).ts && r.feature === row(4).feature
        ? { ...r, psi: 0.3, modelVersion: 'regime-net-v5' }
        : r,
    );
    expect(back).toEqual(expected);
  });

  it('refuses a batch with one bad row and writes none of it', async () => {
    const ts = T0 + 10 * HOUR;
    await expect(
      store.write([row(0, { ts }), row(1, { ts, psi: Number.POSITIVE_INFINITY })]),
    ).rejects.toThrow(/item 1 of 2: psi Infinity/);
    await store.write([row(2, { ts: ts + HOUR })]);
    await store.waitForWal();
    expect(await store.read('BTCUSDT', ts, ts + HOUR)).toEqual([]);
    expect(await store.read('BTCUSDT', ts + HOUR, ts + 2 * HOUR)).toHaveLength(1);
  });
});
