import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { BinanceRest } from '@regime/binance';
import { INTERVAL_MS, type Interval } from '@regime/candles';
import { hasSharedKlines, readKlineFiles, sharedKlinesDir } from '@regime/candles/files';
import { type BackfillSummary, questdbStore, runBackfill } from '@regime/kline-backfill';
import { QuestDb, uniqueTableNames } from '@regime/questdb';
import { type ReplayExchange, startReplayExchange } from '@regime/replay-exchange';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The backfill end to end: February 2024 of real BTCUSDT candles, served by the replay exchange,
 * loaded into a real QuestDB (own tables), compared value by value with the source files.
 */

const repoRoot = resolve(import.meta.dirname, '..');
const SYMBOL = 'BTCUSDT';
const INTERVALS: Interval[] = ['5m', '15m', '1h'];
const FROM = Date.UTC(2024, 1, 1);
const MID = Date.UTC(2024, 1, 11, 7, 0);
const TO = Date.UTC(2024, 2, 1);

if (!hasSharedKlines()) {
  console.warn(
    `backfill integration test skipped: no candle files at ${sharedKlinesDir()} (see ../shared/README.md)`,
  );
}

describe.skipIf(!hasSharedKlines())('backfill through the replay exchange into QuestDB', () => {
  let replay: ReplayExchange;
  let db: QuestDb;

  beforeAll(async () => {
    // The exchange's clock stands a day after the period, so all of February has closed.
    replay = await startReplayExchange({
      dataDir: sharedKlinesDir(),
      symbols: [SYMBOL],
      intervals: INTERVALS,
      from: TO + 86_400_000,
      speed: 1,
      // Every 7th request is a 429: the client must wait and retry without losing a page.
      faults: { rateLimitEveryN: 7, retryAfterSec: 0 },
    });
    db = await QuestDb.connect(
      {
        httpUrl: process.env.QUESTDB_HTTP ?? 'http://127.0.0.1:9000',
        pgUrl: process.env.QUESTDB_PG_URL ?? 'postgres://admin:quest@127.0.0.1:8812/qdb',
      },
      uniqueTableNames(),
    );
    await db.ensureSchema();
  }, 60_000);

  afterAll(async () => {
    await replay?.close();
    await db?.dropTables().catch(() => {});
    await db?.close();
  });

  const backfill = (to: number): Promise<BackfillSummary> =>
    runBackfill(
      { symbols: [SYMBOL], intervals: INTERVALS, from: FROM, to },
      {
        source: new BinanceRest({ baseUrl: replay.restUrl, backoff: { minMs: 10, maxMs: 100 } }),
        store: questdbStore(db),
      },
    );

  const walTxn = async () => {
    const rows = await db.query<{ sequencerTxn: number }>(
      'SELECT sequencerTxn FROM wal_tables() WHERE name = $1',
      [db.tables.klines],
    );
    return rows[0]?.sequencerTxn;
  };

  it('loads a month × 3 intervals exactly as the source has it, resumes, and a re-run changes nothing', async () => {
    // An interrupted run: only the first ten days and a bit.
    const partial = await backfill(MID);
    expect(partial.ok).toBe(true);

    const full = await backfill(TO);
    expect(full.ok, JSON.stringify(full.series.map((s) => s.error))).toBe(true);
    await db.waitForWal();

    for (const interval of INTERVALS) {
      const ms = INTERVAL_MS[interval];
      const source = readKlineFiles(sharedKlinesDir(), SYMBOL, interval, { from: FROM, to: TO });
      // February 2024 has 29 days and the source has no gap in it.
      expect(source.length).toBe((29 * 86_400_000) / ms);

      const first = partial.series.find((s) => s.interval === interval)!;
      const second = full.series.find((s) => s.interval === interval)!;
      expect(first.written).toBe(source.filter((c) => c.openTime < MID).length);
      // Resumed after the last stored candle: the second run asked only for the rest.
      expect(second.fetched).toEqual([{ from: MID, to: TO }]);
      expect(second.alreadyStored).toBe(first.written);
      expect(first.written + second.written).toBe(source.length);
      expect([...first.gaps, ...second.gaps]).toEqual([]);
      expect([...first.rejected, ...second.rejected]).toEqual([]);

      const stored = await db.readKlines(SYMBOL, interval, FROM, TO);
      expect(stored.length).toBe(source.length);
      for (let i = 1; i < stored.length; i++) expect(stored[i]!.openTime - stored[i - 1]!.openTime).toBe(ms);
      const [counts] = await db.query<{ n: number; different: number }>(
        `SELECT count() n, count_distinct(ts) different FROM ${db.tables.klines} WHERE symbol = $1 AND "interval" = $2`,
        [SYMBOL, interval],
      );
      expect(counts).toEqual({ n: source.length, different: source.length });
      // Exact values, including quote volume, trades and taker volumes where the source has them.
      expect(stored).toEqual(source);
    }
    expect(replay.stats.rateLimited).toBeGreaterThan(0);

    const before = await walTxn();
    const again = await backfill(TO);
    expect(again.ok).toBe(true);
    for (const s of again.series) {
      expect(s.fetched).toEqual([]);
      expect(s.written).toBe(0);
    }
    await db.waitForWal();
    // Not a single transaction reached the klines table.
    expect(await walTxn()).toBe(before);
  }, 60_000);

  it('fails the series of a symbol the exchange does not list, with a clear message', async () => {
    const summary = await runBackfill(
      { symbols: ['NOPEUSDT'], intervals: ['1h'], from: FROM, to: FROM + 86_400_000 },
      { source: new BinanceRest({ baseUrl: replay.restUrl }), store: questdbStore(db) },
    );
    expect(summary.ok).toBe(false);
    expect(summary.series[0]?.error).toMatch(/unknown symbol NOPEUSDT/);
  });

  it('CLI: --help exits 0 and describes the flags', () => {
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'apps/backfill/src/main.ts', '--help'], {
      cwd: repoRoot,
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/--symbols <list>/);
    expect(result.stdout).toMatch(/--from <date>/);
  });

  it('CLI: a bad flag exits non-zero with a readable message', () => {
    const result = spawnSync(
      process.execPath,
      ['--import', 'tsx', 'apps/backfill/src/main.ts', '--intervals', '7m'],
      {
        cwd: repoRoot,
        encoding: 'utf8',
        timeout: 30_000,
      },
    );
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/unknown interval "7m"/);
  });
});
