import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type OutcomeRow,
  OutcomeStore,
  outcomesSchema,
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
    // Every fifth row as written before the next-4-hour columns existed.
    next4h:
      i % 5 === 4 ? null : { volRatio: 0.5 + i / 10, efficiency: (i % 10) / 10, return: (i - 3) / 1000 },
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

  it('round-trips the next-4-hour columns, null where unknown', async () => {
    const rows = [40, 41, 42, 43, 44].map((i) => outcome(i));
    expect(rows.filter((r) => r.next4h === null)).toHaveLength(1);
    await store.write(rows);
    await store.waitForWal();
    expect(await store.read('BTCUSDT', rows[0]!.ts, rows[4]!.ts + 1)).toEqual(rows);
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
    const next4h = { volRatio: 1, efficiency: 0.5, return: 0 };
    await expect(store.write([outcome(24, { next4h: { ...next4h, efficiency: 1.5 } })])).rejects.toThrow(
      /efficiency/,
    );
    await expect(store.write([outcome(25, { next4h: { ...next4h, volRatio: Number.NaN } })])).rejects.toThrow(
      /volRatio/,
    );
    await expect(store.write([outcome(26, { next4h: undefined as never })])).rejects.toThrow(/next4h/);
    await store.waitForWal();
    expect(await store.read('BTCUSDT', good.ts, good.ts + 1)).toEqual([]);
  });
});

describe('regime_outcomes created before the next-4-hour columns', () => {
  it('is migrated at start-up, by several processes at once, and keeps its old rows', async () => {
    const config = questDbConfigFromEnv();
    const tables = uniqueTableNames('outold');
    const db = await QuestDb.connect(config, tables);
    const table = `regime_outcomes_${tables.klines.slice(-15)}`;
    const stores = await Promise.all([0, 1, 2].map(() => OutcomeStore.open(config, db, table)));
    try {
      // The table as the scorer created it before: no next_4h_* columns.
      const old = outcomesSchema(table).replace(/,\s*next_4h_vol_ratio[^)]*\)/, '\n    )');
      expect(old).not.toMatch(/next_4h/);
      await db.query(old);
      await db.query(
        `INSERT INTO ${table} (ts, symbol, model_version, predicted, ${REGIME_IDS.map((id) => `p_${id}`).join(', ')}, realised, correct, settled_at, labeler_version)
         VALUES ('2025-05-01T12:05:00Z', 'BTCUSDT', 'm-1', 'range', 0.1, 0.1, 0.5, 0.1, 0.1, 0.1, 'range', true, '2025-05-01T18:00:00Z', '2.0.0')`,
      );
      // Compose starts several scorers at once: concurrent migrations must all succeed.
      await Promise.all(stores.map((s) => s.ensureSchema()));
      // An ALTER of a WAL table is applied asynchronously, like a write.
      await stores[0]!.waitForWal();
      const columns = await db.query<{ column: string }>(`SELECT "column" FROM table_columns('${table}')`);
      expect(columns.map((c) => c.column)).toEqual(
        expect.arrayContaining(['next_4h_vol_ratio', 'next_4h_efficiency', 'next_4h_return']),
      );
      const fresh = outcome(3);
      await stores[0]!.write([fresh]);
      await stores[0]!.waitForWal();
      const back = await stores[0]!.read('BTCUSDT', T0, T0 + 10 * FIVE_MIN);
      expect(back).toHaveLength(2);
      expect(back[0]!.next4h).toBeNull();
      expect(back[1]).toEqual(fresh);
    } finally {
      await stores[0]!.drop();
      for (const s of stores) await s.close();
      await db.close();
    }
  });
});
