import { type Candle, closeTimeOf, INTERVAL_MS, type Kline } from '@regime/candles';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type PipelineEvent,
  type PredictionRow,
  QuestDb,
  questDbConfigFromEnv,
  uniqueTableNames,
} from '../src/index.ts';

const T0 = Date.UTC(2024, 0, 1);
const FIVE_MIN = INTERVAL_MS['5m'];

function kline(i: number, overrides: Partial<Kline> = {}): Kline {
  const openTime = T0 + i * FIVE_MIN;
  return {
    symbol: 'BTCUSDT',
    interval: '5m',
    openTime,
    open: 42_000 + i,
    high: 42_100.5 + i,
    low: 41_900.25 + i,
    close: 42_050.125 + i,
    volume: 12.345678 + i,
    closeTime: closeTimeOf('5m', openTime),
    closed: true,
    ...overrides,
  };
}

function candleOf(k: Kline): Candle {
  const { symbol: _symbol, interval: _interval, ...candle } = k;
  return candle;
}

describe('QuestDb against a real QuestDB', () => {
  let db: QuestDb;

  beforeAll(async () => {
    db = await QuestDb.connect(questDbConfigFromEnv(), uniqueTableNames());
    await db.ensureSchema();
    await db.ensureSchema(); // idempotent
  });

  afterAll(async () => {
    await db?.dropTables();
    await db?.close();
  });

  it('reads back exactly what it wrote, optional fields and closed flag included', async () => {
    const full = kline(0, {
      quoteVolume: 518_000.5,
      trades: 1234,
      takerBuyBaseVolume: 6.5,
      takerBuyQuoteVolume: 273_000.25,
    });
    const bare = kline(1);
    const inProgress = kline(2, { closed: false, trades: 0 });
    const otherSeries: Kline[] = [
      kline(1, { symbol: 'ETHUSDT' }),
      { ...kline(0), interval: '1h', closeTime: closeTimeOf('1h', T0) },
    ];
    await db.writeKlines([full, bare, inProgress, ...otherSeries]);
    await db.waitForWal();

    const read = await db.readKlines('BTCUSDT', '5m', T0, T0 + 3 * FIVE_MIN);
    expect(read).toEqual([candleOf(full), candleOf(bare), candleOf(inProgress)]);
    expect(read[1]).not.toHaveProperty('quoteVolume');
    expect(read[1]).not.toHaveProperty('trades');

    expect(await db.readKlines('BTCUSDT', '5m', T0, T0 + 3 * FIVE_MIN, { closedOnly: true })).toEqual([
      candleOf(full),
      candleOf(bare),
    ]);
    // [from, to): the upper bound is exclusive, the lower inclusive.
    expect(await db.readKlines('BTCUSDT', '5m', T0 + FIVE_MIN, T0 + 2 * FIVE_MIN)).toEqual([candleOf(bare)]);
    expect(await db.readKlines('ETHUSDT', '5m', T0, T0 + 3 * FIVE_MIN)).toEqual([candleOf(otherSeries[0]!)]);
    expect(await db.latestOpenTime('BTCUSDT', '5m')).toBe(T0 + 2 * FIVE_MIN);
    expect(await db.latestOpenTime('BTCUSDT', '5m', { closedOnly: true })).toBe(T0 + FIVE_MIN);
    expect(await db.latestOpenTime('BTCUSDT', '15m')).toBeUndefined();
    expect(await db.latestOpenTime('XRPUSDT', '5m')).toBeUndefined();
  });

  it('keeps exactly one row per candle: rewrite and in-progress-then-final both upsert', async () => {
    const i = 100;
    await db.writeKlines([kline(i, { closed: false, close: 42_000 + i, high: 42_100.5 + i, volume: 1 })]);
    await db.writeKlines([kline(i, { closed: false, close: 42_010 + i, volume: 2 })]);
    await db.writeKlines([kline(i, { trades: 7 })]);
    await db.writeKlines([kline(i, { trades: 7 })]);
    await db.waitForWal();

    const rows = await db.query<{ n: number }>(
      `SELECT count() n FROM ${db.tables.klines} WHERE symbol = $1 AND "interval" = $2 AND ts = $3`,
      ['BTCUSDT', '5m', new Date(T0 + i * FIVE_MIN).toISOString()],
    );
    expect(rows).toEqual([{ n: 1 }]);
    expect(await db.readKlines('BTCUSDT', '5m', T0 + i * FIVE_MIN, T0 + (i + 1) * FIVE_MIN)).toEqual([
      candleOf(kline(i, { trades: 7 })),
    ]);
  });

  it('keeps the last version when one call or back-to-back calls carry several versions of a candle', async () => {
    const i = 150;
    await db.writeKlines([kline(i, { closed: false, volume: 1 }), kline(i, { closed: true, volume: 3 })]);
    const calls = [1, 2, 3, 4, 5].map((v) => db.writeKlines([kline(i + 1, { closed: v === 5, volume: v })]));
    await Promise.all(calls);
    await db.waitForWal();
    expect(await db.readKlines('BTCUSDT', '5m', T0 + i * FIVE_MIN, T0 + (i + 2) * FIVE_MIN)).toEqual([
      candleOf(kline(i, { closed: true, volume: 3 })),
      candleOf(kline(i + 1, { closed: true, volume: 5 })),
    ]);
  });

  it('stores doubles bit-exactly and spans many day partitions in one call', async () => {
    const awkward = [0.1 + 0.2, 1e-8, 123_456_789.123_456_78, 5e-324, 1.7976931348623157e308, 2 / 3];
    const batch = awkward.map((v, j) =>
      kline(1000 + j * 400, {
        open: 1,
        high: 2,
        low: 0.5,
        close: 1.5,
        volume: v,
        quoteVolume: v,
        takerBuyQuoteVolume: v,
      }),
    );
    await db.writeKlines(batch);
    await db.waitForWal();
    const read = await db.readKlines('BTCUSDT', '5m', T0 + 1000 * FIVE_MIN, T0 + 4000 * FIVE_MIN);
    expect(read).toEqual(batch.map(candleOf));
    expect(read.map((c) => c.volume)).toEqual(awkward);
  });

  it('waitForWal makes every acknowledged row visible, even a large batch over many partitions', async () => {
    const batch = Array.from({ length: 30_000 }, (_, j) => kline(j, { symbol: 'ADAUSDT' }));
    await db.writeKlines(batch);
    await db.waitForWal();
    const [row] = await db.query<{ n: number; first: number; last: number }>(
      `SELECT count() n, min(ts) first, max(ts) last FROM ${db.tables.klines} WHERE symbol = 'ADAUSDT'`,
    );
    expect(row).toEqual({ n: 30_000, first: T0, last: T0 + 29_999 * FIVE_MIN });
  });

  it('refuses a batch with an invalid kline and writes none of it', async () => {
    const good = kline(200);
    const cases: Kline[] = [
      kline(201, { high: 1, low: 2 }),
      kline(201, { close: Number.NaN }),
      kline(201, { volume: -1 }),
      kline(201, { symbol: "BTC'; DROP TABLE klines; --" }),
      { ...kline(201), interval: '7m' as Kline['interval'] },
      kline(201, { openTime: T0 + 201 * FIVE_MIN + 1 }),
    ];
    for (const bad of cases)
      await expect(db.writeKlines([good, bad])).rejects.toThrow(/refusing to write klines: item 1/);
    await db.waitForWal();
    expect(await db.readKlines('BTCUSDT', '5m', T0 + 200 * FIVE_MIN, T0 + 202 * FIVE_MIN)).toEqual([]);
  });

  it('readLatestKlines returns the newest `count` strictly before the bound, ascending', async () => {
    const series = Array.from({ length: 10 }, (_, j) =>
      kline(300 + j, { symbol: 'SOLUSDT', closed: j !== 9 }),
    );
    await db.writeKlines(series);
    await db.waitForWal();
    const at = (j: number) => T0 + (300 + j) * FIVE_MIN;

    expect(await db.readLatestKlines('SOLUSDT', '5m', 3, at(5))).toEqual(series.slice(2, 5).map(candleOf));
    expect(await db.readLatestKlines('SOLUSDT', '5m', 50, at(2))).toEqual(series.slice(0, 2).map(candleOf));
    expect(await db.readLatestKlines('SOLUSDT', '5m', 2, at(10))).toEqual(series.slice(8, 10).map(candleOf));
    expect(await db.readLatestKlines('SOLUSDT', '5m', 2, at(10), { closedOnly: true })).toEqual(
      series.slice(7, 9).map(candleOf),
    );
    expect(await db.readLatestKlines('SOLUSDT', '5m', 0, at(10))).toEqual([]);
    expect(await db.readLatestKlines('SOLUSDT', '5m', 3, at(0))).toEqual([]);
  });

  it('writes predictions (upsert per ts, symbol, mode) and events (the same event written twice is one row)', async () => {
    const prediction: PredictionRow = {
      ts: T0 + FIVE_MIN,
      symbol: 'BTCUSDT',
      mode: 'official',
      regime: 'range',
      confidence: 0.61,
      probabilities: {
        strong_trend: 0.05,
        weak_trend: 0.1,
        range: 0.61,
        squeeze: 0.14,
        volatility_spike: 0.04,
        choppy_high_vol: 0.06,
      },
      modelVersion: 'lstm-2024.01.01',
      latencyMs: 12.5,
      createdAt: T0 + FIVE_MIN + 12,
    };
    await db.writePredictions([
      prediction,
      { ...prediction, mode: 'live', regime: 'squeeze', confidence: 0.4 },
    ]);
    await db.writePredictions([{ ...prediction, confidence: 0.62, createdAt: T0 + FIVE_MIN + 20 }]);
    const event: PipelineEvent = {
      ts: T0,
      service: 'collector',
      kind: 'reconnect',
      count: 0,
      detail: 'socket closed',
    };
    await db.writeEvents([
      event,
      event,
      { ...event, kind: 'gap', symbol: 'BTCUSDT', interval: '5m', count: 3, detail: 'x' },
    ]);
    await db.waitForWal();

    const predictions = await db.query<Record<string, unknown>>(
      `SELECT ts, symbol, mode, regime, confidence, p_range, p_choppy_high_vol, model_version, latency_ms, created_at
       FROM ${db.tables.predictions} ORDER BY mode`,
    );
    expect(predictions).toEqual([
      {
        ts: prediction.ts,
        symbol: 'BTCUSDT',
        mode: 'live',
        regime: 'squeeze',
        confidence: 0.4,
        p_range: 0.61,
        p_choppy_high_vol: 0.06,
        model_version: 'lstm-2024.01.01',
        latency_ms: 12.5,
        created_at: T0 + FIVE_MIN + 12,
      },
      {
        ts: prediction.ts,
        symbol: 'BTCUSDT',
        mode: 'official',
        regime: 'range',
        confidence: 0.62,
        p_range: 0.61,
        p_choppy_high_vol: 0.06,
        model_version: 'lstm-2024.01.01',
        latency_ms: 12.5,
        created_at: T0 + FIVE_MIN + 20,
      },
    ]);

    const events = await db.query<Record<string, unknown>>(
      `SELECT ts, service, kind, symbol, "interval", count, detail FROM ${db.tables.events} ORDER BY kind DESC`,
    );
    expect(events).toEqual([
      {
        ts: T0,
        service: 'collector',
        kind: 'reconnect',
        symbol: null,
        interval: null,
        count: 0,
        detail: 'socket closed',
      },
      { ts: T0, service: 'collector', kind: 'gap', symbol: 'BTCUSDT', interval: '5m', count: 3, detail: 'x' },
    ]);
  });

  it('pipeline_events: one clock (ts) plus exchange_ts; same-ms events that differ are kept; an old table is migrated', async () => {
    // A table from before exchange_ts/event_id: ensureSchema adds them and the dedup key.
    const old = await QuestDb.connect(questDbConfigFromEnv(), uniqueTableNames('old'));
    try {
      await old.query(
        `CREATE TABLE ${old.tables.events} (ts TIMESTAMP, service SYMBOL, kind SYMBOL, symbol SYMBOL, "interval" SYMBOL, count LONG, detail STRING) TIMESTAMP(ts) PARTITION BY DAY WAL`,
      );
      // Several processes start at once (compose): concurrent migrations must all succeed.
      await Promise.all([old.ensureSchema(), old.ensureSchema(), old.ensureSchema()]);
      const base: PipelineEvent = { ts: T0, service: 'predictor', kind: 'missed_job', count: 1, detail: 'a' };
      const withClock = { ...base, exchangeTs: T0 - 86_400_000 };
      await old.writeEvents([withClock, { ...withClock, detail: 'b' }]);
      await old.writeEvents([withClock]); // a retried write of the same event
      await old.waitForWal();
      const rows = await old.query<Record<string, unknown>>(
        `SELECT ts, exchange_ts, detail FROM ${old.tables.events} ORDER BY detail`,
      );
      expect(rows).toEqual([
        { ts: T0, exchange_ts: T0 - 86_400_000, detail: 'a' },
        { ts: T0, exchange_ts: T0 - 86_400_000, detail: 'b' },
      ]);
    } finally {
      await old.dropTables().catch(() => {});
      await old.close();
    }
  });

  it('refuses malformed predictions and events', async () => {
    const base: PredictionRow = {
      ts: T0,
      symbol: 'BTCUSDT',
      mode: 'official',
      regime: 'range',
      confidence: 0.5,
      probabilities: {
        strong_trend: 0,
        weak_trend: 0,
        range: 0.5,
        squeeze: 0.5,
        volatility_spike: 0,
        choppy_high_vol: 0,
      },
      modelVersion: 'v1',
      latencyMs: 1,
      createdAt: T0,
    };
    await expect(db.writePredictions([{ ...base, regime: 'moon' }])).rejects.toThrow(/regime "moon"/);
    await expect(db.writePredictions([{ ...base, mode: 'paper' as 'live' }])).rejects.toThrow(/mode/);
    await expect(
      db.writePredictions([{ ...base, probabilities: { ...base.probabilities, squeeze: Number.NaN } }]),
    ).rejects.toThrow(/squeeze/);
    await expect(
      db.writeEvents([{ ts: T0, service: 'Collector; drop', kind: 'gap', count: 1, detail: '' }]),
    ).rejects.toThrow(/service/);
    await expect(
      db.writeEvents([{ ts: T0, service: 'collector', kind: 'gap', count: -1, detail: '' }]),
    ).rejects.toThrow(/count/);
  });
});
