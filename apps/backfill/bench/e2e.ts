/**
 * End-to-end backfill throughput: the replay exchange (its own process, via its CLI) serving three
 * months of real BTCUSDT and ETHUSDT candles in 5m, 15m and 1h, paged over REST by BinanceRest, checked
 * and written to QuestDB (own tables) by runBackfill. Prints candles/s for the whole pipeline; the pure
 * QuestDB ingest rate is measured by packages/questdb/bench.
 *
 *   npm run bench -w apps/backfill            (or: npx tsx apps/backfill/bench/e2e.ts)
 */
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { BinanceRest } from '@regime/binance';
import type { Interval } from '@regime/candles';
import { hasSharedKlines, sharedKlinesDir } from '@regime/candles/files';
import { questdbStore, runBackfill } from '@regime/kline-backfill';
import { QuestDb, uniqueTableNames } from '@regime/questdb';
import { machineLoad } from '@regime/service';

const SYMBOLS = ['BTCUSDT', 'ETHUSDT'];
const INTERVALS: Interval[] = ['5m', '15m', '1h'];
const FROM = Date.UTC(2023, 11, 1);
const TO = Date.UTC(2024, 2, 1);
const repoRoot = new URL('../../../', import.meta.url).pathname;

/** Starts the replay CLI on a free port and resolves with its REST URL (from its JSON start-up log line). */
async function startReplay() {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'apps/exchange-replay/src/main.ts',
      '--port',
      '0',
      '--from',
      new Date(TO + 86_400_000).toISOString(),
      '--symbols',
      SYMBOLS.join(','),
      '--intervals',
      INTERVALS.join(','),
      '--weight-limit',
      '1000000',
    ],
    {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, LOG_PRETTY: '0', LOG_LEVEL: 'info' },
    },
  );
  for await (const line of createInterface({ input: child.stdout! })) {
    const restUrl = (JSON.parse(line) as { restUrl?: string }).restUrl;
    if (restUrl) return { child, restUrl };
  }
  throw new Error('the replay exchange exited before it listened');
}

async function main(): Promise<void> {
  if (!hasSharedKlines()) {
    console.log(`backfill bench skipped: no candle files at ${sharedKlinesDir()}`);
    return;
  }
  const replay = await startReplay();
  try {
    for (const concurrency of [2, 4]) {
      const db = await QuestDb.connect(
        {
          httpUrl: process.env.QUESTDB_HTTP ?? 'http://127.0.0.1:9000',
          pgUrl: process.env.QUESTDB_PG_URL ?? 'postgres://admin:quest@127.0.0.1:8812/qdb',
        },
        uniqueTableNames('bench'),
      );
      await db.ensureSchema();
      const started = performance.now();
      const summary = await runBackfill(
        { symbols: SYMBOLS, intervals: INTERVALS, from: FROM, to: TO, concurrency },
        { source: new BinanceRest({ baseUrl: replay.restUrl }), store: questdbStore(db) },
      );
      const seconds = (performance.now() - started) / 1000;
      await db.dropTables();
      await db.close();
      if (!summary.ok) throw new Error(summary.series.map((s) => s.error).join('; '));
      const written = summary.series.reduce((n, s) => n + s.written, 0);
      console.log(
        `backfill end to end (replay REST → checks → QuestDB), concurrency ${concurrency}: ` +
          `${written} candles in ${seconds.toFixed(2)} s = ${Math.round(written / seconds)} candles/s; ${machineLoad()}`,
      );
    }
  } finally {
    replay.child.kill('SIGTERM');
  }
}

main().catch((error: Error) => {
  console.error(`backfill bench failed: ${error.message}`);
  process.exitCode = 1;
});
