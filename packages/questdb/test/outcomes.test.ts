import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type OutcomeRow,
  OutcomeStore,
  QuestDb,
  questDbConfigFromEnv,
  REGIME_IDS,
  uniqueTableNames,
} from '../src/index.ts';

const T0 = Date.UTC(2025, 4, 1, 12, 5);
const FIVE_MIN = 300_000;

function outcome(i: number, overrides: Partial<OutcomeRow> = {}): OutcomeRow {
  const weights = REGIME_IDS.map((_, k) => 1 + ((i + k) % 4));
  const total = weights.reduce((a, b) => a + b, 0);
  const probabilities = Object.fromEntries(
    REGIME_IDS.map((id, k) => [id, weights[k]! / total]),
  ) as OutcomeRow['probabilities'];
  const predicted = REGIME_IDS[i % 6]!;
  const realised = REGIME_IDS[(i * 5) % 6]!;
  return {
    ts: T0 + i * FIVE_MIN,
    symbol: 'BTCUSDT',
    modelVersion: 'm-1',
    predicted,
    probabilities,
    realised,
    correct: predicted === realised,
    settledAt: T0 + i * FIVE_MIN + 6 * 3_600_000,
    labelerVersion: '2.0.0',
    ...overrides,
  };
}

describe('OutcomeStore against a real QuestDB', () => {
  let db: QuestDb;
  let store: OutcomeStore;

  beforeAll(async () => {
    const config = questDbConfigFromEnv();
    const tables = uniqueTableNames('out');
    db = await QuestDb.connect(config, tables);
    store = await OutcomeStore.open(config, db, `regime_outcomes_${tables.klines.slice(-15)}`);
    await store.ensureSchema();
    await store.ensureSchema(); // idempotent
  });

  afterAll(async () => {
    await store?.drop();
    await store?.close();
    await db?.close();
  });

  it('reads back what it wrote, and a rewrite of the same keys leaves one row with the last values', async () => {
    const rows = [0, 1, 2, 3].map((i) => outcome(i));
    await store.write(rows);
    await store.write([outcome(1, { modelVersion: 'm-2' })]);
    await store.waitForWal();
    const back = await store.read('BTCUSDT', T0, T0 + 10 * FIVE_MIN);
    expect(back).toHaveLength(4);
    expect(back[0]).toEqual(rows[0]);
    expect(back[1]).toEqual({ ...rows[1], modelVersion: 'm-2' });
    expect(back.filter((r) => r.correct).length).toBe(rows.filter((r) => r.correct).length);
    expect([...(await store.scoredInstants('BTCUSDT', T0, T0 + 2 * FIVE_MIN))].sort()).toEqual([
      T0,
      T0 + FIVE_MIN,
    ]);
  });

  it('refuses a batch with an unsound row and writes none of it', async () => {
    const good = outcome(20);
    await expect(store.write([good, outcome(21, { correct: !outcome(21).correct })])).rejects.toThrow(
      /item 1 of 2: correct does not match/,
    );
    await expect(store.write([outcome(22, { realised: 'bull' as never })])).rejects.toThrow(
      /not a regime id/,
    );
    await expect(store.write([outcome(23, { settledAt: T0 })])).rejects.toThrow(/settledAt/);
    await store.waitForWal();
    expect(await store.read('BTCUSDT', good.ts, good.ts + 1)).toEqual([]);
  });
});
