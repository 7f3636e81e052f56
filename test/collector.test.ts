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
