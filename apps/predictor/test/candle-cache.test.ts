import { type Candle, closeTimeOf, INTERVAL_MS, type Kline } from '@regime/candles';
import { FEATURE_INTERVALS, type FeatureInterval, inputsAsOf } from '@regime/inference';
import { QuestDb, questDbConfigFromEnv, uniqueTableNames } from '@regime/questdb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CandleCache } from '../src/candle-cache.ts';

const WARMUP = { '5m': 6, '15m': 4, '1h': 3 };
const T = Date.UTC(2024, 2, 1, 10, 0);

function kline(interval: FeatureInterval, openTime: number, closed = true, close = 1.5): Kline {
  const c: Candle = {
    openTime,
    open: 1,
    high: 2,
    low: 0.5,
    close,
    volume: 3,
    closeTime: closeTimeOf(interval, openTime),
    closed,
  };
  return { ...c, symbol: 'BTCUSDT', interval };
}

/** Closed candles of every interval that close by `until`, starting well before. */
function history(until: number): Kline[] {
  const out: Kline[] = [];
  for (const interval of FEATURE_INTERVALS) {
    const ms = INTERVAL_MS[interval];
    for (let open = until - 12 * ms; open + ms <= until; open += ms) out.push(kline(interval, open));
  }
  return out;
}

describe('CandleCache', () => {
  const tables = uniqueTableNames();
  let db: QuestDb;
  beforeAll(async () => {
    db = await QuestDb.connect(questDbConfigFromEnv(), tables);
    await db.ensureSchema();
  });
  afterAll(async () => {
    await db.dropTables();
    await db.close();
  });

  it('returns what a full read returns, also after new rows, in-progress updates and older instants', async () => {
    await db.writeKlines(history(T));
    await db.waitForWal();
    const cache = new CandleCache(db, WARMUP, 4);
    const direct = async (asOf: number, interval: FeatureInterval) =>
      db.readLatestKlines('BTCUSDT', interval, WARMUP[interval] + 1, asOf);
    const check = async (asOf: number) => {
      const got = await cache.recent('BTCUSDT', asOf);
      for (const interval of FEATURE_INTERVALS)
        expect(got[interval], interval).toEqual(await direct(asOf, interval));
    };
    await check(T);
    // The 5m candle after T in progress, then closed with another close price: never served stale.
    await db.writeKlines([
      kline('5m', T, false, 1.2),
      kline('15m', T, false, 1.2),
      kline('1h', T, false, 1.2),
    ]);
    await db.waitForWal();
    await check(T + 120_000);
    await db.writeKlines([kline('5m', T, true, 1.7)]);
    await db.waitForWal();
    await check(T + 300_000);
    await check(T + 360_000);
    await check(T - 300_000);
    await check(T - 3_600_000);
  });

  it('official: the same inputs as a full read, reading only the intervals a candle can have closed in', async () => {
    const v = T + 2 * 86_400_000;
    await db.writeKlines(history(v));
    // The 15m and 1h candles in progress at the instants below: an official read does not need them.
    await db.writeKlines([kline('15m', v, false, 1.2), kline('1h', v, false, 1.2)]);
    await db.waitForWal();
    // Counts the incremental reads, and passes everything to the real QuestDB.
    let reads = 0;
    const counting = new Proxy(db, {
      get(target, key, receiver) {
        const value = Reflect.get(target, key, receiver);
        if (key !== 'readKlines') return typeof value === 'function' ? value.bind(target) : value;
        return (...args: Parameters<QuestDb['readKlines']>) => {
          reads++;
          return target.readKlines(...args);
        };
      },
    });
    const cache = new CandleCache(counting, WARMUP, 4);
    await cache.recent('BTCUSDT', v, 'official');
    for (const asOf of [v + 300_000, v + 600_000]) {
      await db.writeKlines([kline('5m', asOf - 300_000)]);
      await db.waitForWal();
      reads = 0;
      const got = inputsAsOf(await cache.recent('BTCUSDT', asOf, 'official'), 'official', asOf, WARMUP);
      // The new 5m candle only: no 15m or 1h candle closes at v + 5 or v + 10 minutes.
      expect(reads).toBe(1);
      const full = {} as Record<FeatureInterval, Candle[]>;
      for (const interval of FEATURE_INTERVALS)
        full[interval] = await db.readLatestKlines('BTCUSDT', interval, WARMUP[interval] + 1, asOf);
      expect(got).toEqual(inputsAsOf(full, 'official', asOf, WARMUP));
    }
  });

  it('serves a candle filled into a gap after invalidate', async () => {
    const cache = new CandleCache(db, WARMUP, 4);
    const u = T + 86_400_000;
    const rows = history(u).filter((k) => !(k.interval === '5m' && k.openTime === u - 600_000));
    await db.writeKlines(rows);
    await db.waitForWal();
    const before = await cache.recent('BTCUSDT', u);
    expect(before['5m'].some((c) => c.openTime === u - 600_000)).toBe(false);
    await db.writeKlines([kline('5m', u - 600_000)]);
    await db.waitForWal();
    cache.invalidate('BTCUSDT');
    const after = await cache.recent('BTCUSDT', u);
    expect(after['5m'].some((c) => c.openTime === u - 600_000)).toBe(true);
  });
});
