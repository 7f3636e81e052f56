import { closeTimeOf, INTERVAL_MS, type Interval, type Kline } from '@regime/candles';
import { QuestDb, uniqueTableNames } from '@regime/questdb';
import { createLogger } from '@regime/service';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CandleBook } from '../src/book.ts';
import { collectorMetrics } from '../src/metrics.ts';
import { KlineWriter } from '../src/writer.ts';

/**
 * The upsert rule against a real QuestDB: klines keeps the last write of (ts, symbol, interval), so the
 * writer must never let an in-progress state land after the closed version of the same candle.
 */

const T0 = Date.UTC(2024, 1, 1);

function kline(slot: number, closed: boolean, close: number, interval: Interval = '5m'): Kline {
  const openTime = T0 + slot * INTERVAL_MS[interval];
  return {
    symbol: 'BTCUSDT',
    interval,
    openTime,
    open: 100,
    high: 200,
    low: 50,
    close,
    volume: 1,
    closeTime: closeTimeOf(interval, openTime),
    closed,
  };
}

describe('KlineWriter on a real QuestDB', () => {
  let db: QuestDb;
  const logger = createLogger('writer-test');
  logger.level = 'silent';

  beforeAll(async () => {
    db = await QuestDb.connect(
      {
        httpUrl: process.env.QUESTDB_HTTP ?? 'http://127.0.0.1:9000',
        pgUrl: process.env.QUESTDB_PG_URL ?? 'postgres://admin:quest@127.0.0.1:8812/qdb',
      },
      uniqueTableNames(),
    );
    await db.ensureSchema();
  });

  afterAll(async () => {
    await db?.dropTables().catch(() => {});
    await db?.close();
  });

  it('leaves the closed version of every candle, whatever order the states arrive in', async () => {
    const book = new CandleBook();
    const metrics = collectorMetrics(() => book.closedHeads(), Date.now);
    const writer = new KlineWriter(book, db, metrics, logger);

    // Candle 0: an in-progress state written, then the close, then a late in-progress state.
    writer.live(kline(0, false, 101));
    await writer.flush();
    const closed0 = writer.closed([kline(0, true, 102)]);
    writer.live(kline(0, false, 103));
    await writer.flush();
    // Candle 1: an in-progress state held (not yet flushed) when its close arrives.
    writer.live(kline(1, false, 111));
    void writer.closed([kline(1, true, 112)]);
    writer.flushLive();
    // Candle 1 closed again (a repeat), candle 2 in progress, then the shutdown flush.
    void writer.closed([kline(1, true, 112)]);
    writer.live(kline(2, false, 121));
    await closed0;
    await writer.flush();
    await db.waitForWal();

    const rows = await db.readKlines('BTCUSDT', '5m', T0, T0 + 10 * INTERVAL_MS['5m']);
    expect(rows.map((r) => [r.close, r.closed])).toEqual([
      [102, true],
      [112, true],
      [121, false],
    ]);
    const written = await metrics.candlesWritten.get();
    const count = (state: string) => written.values.find((v) => v.labels.state === state)?.value ?? 0;
    // 2 closes (the repeat is not written) and 2 in-progress states (101 and the final 121).
    expect(count('closed')).toBe(2);
    expect(count('live')).toBe(2);
    expect((await metrics.duplicates.get()).values[0]?.value).toBe(1);
  });
});
