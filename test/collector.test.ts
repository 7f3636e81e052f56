import { closesAt, INTERVAL_MS, type Interval } from '@regime/candles';
import { hasSharedKlines, readKlineFiles, sharedKlinesDir } from '@regime/candles/files';
import { Collector } from '@regime/collector';
import { QuestDb, uniqueTableNames } from '@regime/questdb';
import { type ReplayExchange, startReplayExchange } from '@regime/replay-exchange';
import { createLogger } from '@regime/service';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The collector end to end against the replay exchange at SPEED×, with every fault on: connections
 * dropped every DROP_EVERY_SEC wall seconds, a 429 on every 5th REST request and a malformed message
 * after every 20th WebSocket message. Afterwards every closed candle of the replayed period must be in
 * klines exactly once, with the source's values.
 */

const SYMBOLS = ['BTCUSDT', 'ETHUSDT'];
const INTERVALS: Interval[] = ['5m', '15m', '1h'];
const FROM = Date.UTC(2024, 4, 6, 21, 0);
const TO = FROM + 3 * 3_600_000;
const SPEED = 1200; // 3 virtual hours in 9 wall seconds
const DROP_EVERY_SEC = 2;

if (!hasSharedKlines()) {
  console.warn(
    `collector integration test skipped: no candle files at ${sharedKlinesDir()} (see ../shared/README.md)`,
  );
}

async function waitFor(what: string, ready: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ready()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe.skipIf(!hasSharedKlines())('collector against a faulty replay exchange', () => {
  let replay: ReplayExchange;
  let db: QuestDb;
  let collector: Collector;
  const logger = createLogger('collector-test');
  logger.level = process.env.LOG_LEVEL ?? 'error';

  beforeAll(async () => {
    db = await QuestDb.connect(
      {
        httpUrl: process.env.QUESTDB_HTTP ?? 'http://127.0.0.1:9000',
        pgUrl: process.env.QUESTDB_PG_URL ?? 'postgres://admin:quest@127.0.0.1:8812/qdb',
      },
      uniqueTableNames(),
    );
    await db.ensureSchema();
    replay = await startReplayExchange({
      dataDir: sharedKlinesDir(),
      symbols: SYMBOLS,
      intervals: INTERVALS,
      from: FROM,
      to: TO,
      speed: SPEED,
      // An in-progress update every 30 virtual seconds per stream: 25 wall ms at this speed.
      updateEveryMs: 30_000,
      faults: {
        dropConnectionsEverySec: DROP_EVERY_SEC,
        rateLimitEveryN: 5,
        retryAfterSec: 1,
        malformedEveryN: 20,
      },
    });
    collector = await Collector.start(
      {
        symbols: SYMBOLS,
        intervals: INTERVALS,
        restUrl: replay.restUrl,
        wsUrl: replay.wsUrl,
        liveFlushMs: 200,
        lookbackMs: 3_600_000,
      },
      {
        db,
        logger,
        rest: { backoff: { minMs: 50, maxMs: 500 } },
        stream: { reconnect: { minMs: 100, maxMs: 500 } },
        gapFillRetryMs: 200,
      },
    );
  }, 60_000);

  afterAll(async () => {
    await collector?.stop().catch(() => {});
    await replay?.close();
    await db?.dropTables().catch(() => {});
    await db?.close();
  });

  it('stores every closed candle of the period exactly once with the source values, through drops, 429s and garbage', async () => {
    await waitFor('the end of the replay', () => replay.now() >= TO, 30_000);
    // The newest candle of each stream closes exactly at TO; the collector must get there on its own
    // (stream, or gap fill after the last drop).
    for (const symbol of SYMBOLS) {
      for (const interval of INTERVALS) {
        const last = TO - INTERVAL_MS[interval];
        await waitFor(
          `${symbol} ${interval} to reach ${new Date(last).toISOString()}`,
          () => {
            return (collector.lastClosed(symbol, interval) ?? 0) >= last;
          },
          20_000,
        );
      }
    }
    expect(collector.health().ok).toBe(true);
    await collector.settled();
    await db.waitForWal();

    for (const symbol of SYMBOLS) {
      for (const interval of INTERVALS) {
        const source = readKlineFiles(sharedKlinesDir(), symbol, interval, { from: FROM, to: TO });
        expect(source.length).toBe((TO - FROM) / INTERVAL_MS[interval]);
        expect(source.every((c) => closesAt(interval, c.openTime) <= TO)).toBe(true);
        const stored = await db.readKlines(symbol, interval, FROM, TO);
        expect(stored, `${symbol} ${interval}`).toEqual(source);
        const [counts] = await db.query<{ n: number; different: number }>(
          `SELECT count() n, count_distinct(ts) different FROM ${db.tables.klines}
           WHERE symbol = $1 AND "interval" = $2 AND ts >= $3 AND ts < $4`,
          [symbol, interval, new Date(FROM).toISOString(), new Date(TO).toISOString()],
        );
        expect(counts).toEqual({ n: source.length, different: source.length });
      }
    }

    // The faults did happen, and the collector counted them.
    expect(replay.stats.drops).toBeGreaterThan(0);
    expect(replay.stats.rateLimited).toBeGreaterThan(0);
    expect(replay.stats.malformedSent).toBeGreaterThan(0);
    const value = async (metric: { get(): Promise<{ values: { value: number }[] }> }) =>
      (await metric.get()).values.reduce((n, v) => n + v.value, 0);
    const rejected = await value(collector.metrics.rejected);
    expect(rejected).toBeGreaterThan(0);
    // Only the replay's garbage was refused (a few may be lost with a dropped connection).
    expect(rejected).toBeLessThanOrEqual(replay.stats.malformedSent);
    const reasons = (await collector.metrics.rejected.get()).values
      .filter((v) => v.value > 0)
      .map((v) => v.labels.reason);
    // Truncated JSON, NaN/high < low/negative volume, an unknown symbol, a wrong interval, odd characters.
    expect(reasons).toEqual(
      expect.arrayContaining([
        'malformed_json',
        'invalid_candle',
        'unknown_stream',
        'unknown_interval',
        'invalid_symbol',
      ]),
    );
    expect(await value(collector.metrics.reconnects)).toBeGreaterThan(0);
    const written = await collector.metrics.candlesWritten.get();
    expect(written.values.some((v) => v.labels.state === 'live' && v.value > 0)).toBe(true);
    const events = await db.query<{ kind: string; n: number }>(
      `SELECT kind, count() n FROM ${db.tables.events} WHERE service = 'collector' GROUP BY kind`,
    );
    const kinds = Object.fromEntries(events.map((e) => [e.kind, e.n]));
    expect(kinds.rejected).toBeGreaterThan(0);
    expect(kinds.reconnect).toBeGreaterThan(0);
  }, 60_000);

  it('refuses to start for a symbol the exchange does not list', async () => {
    await expect(
      Collector.start(
        {
          symbols: ['BTCUSDT', 'NOPEUSDT'],
          intervals: ['5m'],
          restUrl: replay.restUrl,
          wsUrl: replay.wsUrl,
          liveFlushMs: 1000,
          lookbackMs: 3_600_000,
        },
        { db, logger, rest: { backoff: { minMs: 50, maxMs: 500 } } },
      ),
    ).rejects.toThrow(/unknown symbol\(s\) NOPEUSDT/);
  });
});

/**
 * The collector at 400 symbols × 5m/15m/1h = 1 200 streams (BTCUSDT and 399 copies of it served by
 * the replay exchange): two WebSocket connections, every connection dropped once mid-run, and
 * afterwards every closed candle of every stream in klines exactly once with the source's values,
 * sent within Binance's limits (the replay exchange counts what it received).
 */
describe.skipIf(!hasSharedKlines())('collector at 400 symbols (1 200 streams)', () => {
  const from = Date.UTC(2024, 4, 6, 21, 0);
  const to = from + 2 * 3_600_000;
  let replay: ReplayExchange;
  let db: QuestDb;
  let collector: Collector;
  const logger = createLogger('collector-test-400');
  logger.level = process.env.LOG_LEVEL ?? 'error';

  beforeAll(async () => {
    db = await QuestDb.connect(
      {
        httpUrl: process.env.QUESTDB_HTTP ?? 'http://127.0.0.1:9000',
        pgUrl: process.env.QUESTDB_PG_URL ?? 'postgres://admin:quest@127.0.0.1:8812/qdb',
      },
      uniqueTableNames(),
    );
    await db.ensureSchema();
    replay = await startReplayExchange({
      dataDir: sharedKlinesDir(),
      symbols: ['BTCUSDT'],
      copies: 399,
      intervals: INTERVALS,
      from,
      to,
      speed: 200, // 2 virtual hours in 36 wall seconds
      // One in-progress update per stream every 5 virtual minutes: the closes are what is checked.
      updateEveryMs: 300_000,
      // The start-up and reconnect gap fills of 1 200 streams: ~5 000 weight; REST limits are the other test's.
      weightLimit1m: 1_000_000,
    });
    collector = await Collector.start(
      {
        symbols: [...replay.symbols],
        intervals: INTERVALS,
        restUrl: replay.restUrl,
        wsUrl: replay.wsUrl,
        liveFlushMs: 500,
        lookbackMs: 3_600_000,
      },
      {
        db,
        logger,
        rest: { backoff: { minMs: 50, maxMs: 500 } },
        stream: { reconnect: { minMs: 200, maxMs: 500 } },
        gapFillRetryMs: 200,
      },
    );
    console.log(`[collector-400] started (start-up gap fill of 1 200 streams done)`);
  }, 600_000);

  afterAll(async () => {
    await collector?.stop().catch(() => {});
    await replay?.close();
    await db?.dropTables().catch(() => {});
    await db?.close();
  });

  it('stores every closed candle of all 1 200 streams exactly once through a drop, within the limits', async () => {
    const symbols = [...replay.symbols];
    expect(symbols).toHaveLength(400);
    // Mid-run (half way through on the exchange's clock): both connections dropped. What the
    // collector had not received by then comes from its reconnect gap fill.
    await waitFor('half of the replay', () => replay.now() >= from + 3_600_000, 300_000);
    const droppedAt = replay.now();
    const t0 = Date.now();
    const connectionsBefore = replay.stats.wsConnections;
    replay.dropConnections();
    await waitFor('the end of the replay', () => replay.now() >= to, 300_000);
    for (const interval of INTERVALS) {
      const last = to - INTERVAL_MS[interval];
      await waitFor(
        `every ${interval} stream to reach ${new Date(last).toISOString()}`,
        () => symbols.every((s) => (collector.lastClosed(s, interval) ?? 0) >= last),
        300_000,
      );
    }
    console.log(
      `[collector-400] every stream at the end of the replay: ${((Date.now() - t0) / 1000).toFixed(1)} s after the drop`,
    );
    expect(collector.health().ok).toBe(true);
    await collector.settled();
    await db.waitForWal();

    // Every stream: the source's count of closed rows, each ts once, and the source's values (sums
    // per stream here; row by row for three of the symbols below).
    const rows = await db.query<{
      symbol: string;
      interval: string;
      n: number;
      different: number;
      closed: number;
      open: number;
      high: number;
      low: number;
      close: number;
      volume: number;
    }>(
      `SELECT symbol, "interval", count() n, count_distinct(ts) different, sum(CASE WHEN closed THEN 1 ELSE 0 END) closed,
              sum(open) open, sum(high) high, sum(low) low, sum(close) close, sum(volume) volume
       FROM ${db.tables.klines} WHERE ts >= $1 AND ts < $2 GROUP BY symbol, "interval"`,
      [new Date(from).toISOString(), new Date(to).toISOString()],
    );
    expect(rows).toHaveLength(1200);
    for (const interval of INTERVALS) {
      const source = readKlineFiles(sharedKlinesDir(), 'BTCUSDT', interval, { from, to });
      expect(source.length).toBe((to - from) / INTERVAL_MS[interval]);
      const sum = (field: 'open' | 'high' | 'low' | 'close' | 'volume') =>
        source.reduce((n, c) => n + c[field], 0);
      for (const row of rows.filter((r) => r.interval === interval)) {
        const what = `${row.symbol} ${interval}`;
        expect([row.n, row.different, row.closed], what).toEqual([
          source.length,
          source.length,
          source.length,
        ]);
        // Summed in another order by QuestDB: equal to 12 significant digits.
        for (const field of ['open', 'high', 'low', 'close', 'volume'] as const)
          expect(Math.abs(row[field] - sum(field)) / sum(field), `${what} ${field}`).toBeLessThan(1e-12);
      }
      for (const symbol of [symbols[0]!, symbols[200]!, symbols[399]!])
        expect(await db.readKlines(symbol, interval, from, to), `${symbol} ${interval}`).toEqual(source);
    }

    // Two connections, each reconnected once, within Binance's limits as the exchange counted them.
    expect(droppedAt).toBeLessThan(to);
    expect(connectionsBefore).toBe(2);
    expect(replay.stats.droppedConnections).toBe(2);
    expect(replay.stats.wsConnections).toBe(4);
    expect(replay.stats.maxIncomingPerSecond).toBeLessThanOrEqual(5);
    expect(replay.stats.rateLimitedConnections).toBe(0);
    expect(replay.stats.refusedConnectAttempts).toBe(0);
  }, 900_000);
});
