/**
 * Collector latency: wall ms from a kline's close event (the replay exchange sending the closed kline;
 * a second WebSocket client of the bench notes when it arrives) to the closed row being visible to
 * SELECT in QuestDB. The real collector runs against the replay exchange (its own process) at SPEED×,
 * without faults; each close is then polled for every POLL_MS. Target on the 2-core dev box: p50 < 100 ms.
 *
 *   npm run bench -w apps/collector            (or: npx tsx apps/collector/bench/latency.ts [seconds])
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { KlineStream } from '@regime/binance';
import type { Interval } from '@regime/candles';
import { hasSharedKlines, sharedKlinesDir } from '@regime/candles/files';
import { QuestDb, uniqueTableNames } from '@regime/questdb';
import { createLogger, machineLoad } from '@regime/service';
import { Collector } from '../src/collector.ts';

const SYMBOLS = ['BTCUSDT', 'ETHUSDT'];
const INTERVALS: Interval[] = ['5m', '15m', '1h'];
const SPEED = 900;
const POLL_MS = 5;
const FROM = Date.UTC(2024, 5, 3, 0, 0);
const seconds = Number(process.argv[2] ?? 40);

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * (sorted.length - 1)))]!;
}

async function startReplayProcess() {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      new URL('./replay-process.ts', import.meta.url).pathname,
      // An in-progress update per stream every 30 virtual s (33 wall ms): live traffic, but not a flood.
      JSON.stringify({
        symbols: SYMBOLS,
        intervals: INTERVALS,
        from: FROM,
        speed: SPEED,
        updateEveryMs: 30_000,
      }),
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const [line] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
  return { child, ...(JSON.parse(line) as { restUrl: string; wsUrl: string }) };
}

async function main(): Promise<void> {
  if (!hasSharedKlines()) {
    console.log(`collector latency bench skipped: no candle files at ${sharedKlinesDir()}`);
    return;
  }
  const logger = createLogger('collector-bench');
  logger.level = 'warn';
  const db = await QuestDb.connect(
    {
      httpUrl: process.env.QUESTDB_HTTP ?? 'http://127.0.0.1:9000',
      pgUrl: process.env.QUESTDB_PG_URL ?? 'postgres://admin:quest@127.0.0.1:8812/qdb',
    },
    uniqueTableNames('bench'),
  );
  await db.ensureSchema();
  const replay = await startReplayProcess();
  const collector = await Collector.start(
    {
      symbols: SYMBOLS,
      intervals: INTERVALS,
      restUrl: replay.restUrl,
      wsUrl: replay.wsUrl,
      liveFlushMs: 2000,
      lookbackMs: 3_600_000,
    },
    { db, logger },
  );
  await collector.settled();

  const latencies: number[] = [];
  // Where the time goes: when each closed row was handed to QuestDB and when QuestDB acknowledged it.
  const writeTimes = new Map<string, { start: number; ack: number }>();
  const writeKlines = db.writeKlines.bind(db);
  db.writeKlines = async (klines) => {
    const start = performance.now();
    await writeKlines(klines);
    const ack = performance.now();
    for (const k of klines)
      if (k.closed) writeTimes.set(`${k.symbol} ${k.interval} ${k.openTime}`, { start, ack });
  };
  const toWrite: number[] = [];
  const toAck: number[] = [];
  // Close events not yet seen in QuestDB, by "SYMBOL interval openTime", with their arrival time.
  const pending = new Map<string, { openTime: number; eventAt: number }>();
  const observer = new KlineStream({ baseUrl: replay.wsUrl, symbols: SYMBOLS, intervals: INTERVALS });
  let measuring = true;
  observer.on('kline', (k) => {
    if (k.closed && measuring) {
      pending.set(`${k.symbol} ${k.interval} ${k.openTime}`, {
        openTime: k.openTime,
        eventAt: performance.now(),
      });
    }
  });
  await observer.start();
  // One poller for every pending close (a query per close would measure the pg pool, not the collector).
  const end = performance.now() + seconds * 1000;
  while (performance.now() < end || pending.size > 0) {
    if (performance.now() > end + 30_000) throw new Error(`${pending.size} closes never became visible`);
    if (performance.now() >= end) measuring = false;
    if (pending.size > 0) {
      const oldest = Math.min(...[...pending.values()].map((p) => p.openTime));
      const rows = await db.query<{ symbol: string; interval: Interval; ts: number }>(
        `SELECT symbol, "interval", ts FROM ${db.tables.klines} WHERE closed AND ts >= $1`,
        [new Date(oldest).toISOString()],
      );
      const now = performance.now();
      for (const row of rows) {
        const key = `${row.symbol} ${row.interval} ${row.ts}`;
        const event = pending.get(key);
        if (!event) continue;
        pending.delete(key);
        latencies.push(now - event.eventAt);
        const write = writeTimes.get(key);
        if (write) {
          toWrite.push(write.start - event.eventAt);
          toAck.push(write.ack - event.eventAt);
        }
      }
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }

  await observer.stop();
  const writes = await collector.metrics.writeSeconds.get();
  const sum = writes.values.find((v) => v.metricName === 'collector_write_seconds_sum')?.value ?? 0;
  const count = writes.values.find((v) => v.metricName === 'collector_write_seconds_count')?.value ?? 0;
  await collector.stop();
  replay.child.kill('SIGTERM');
  await db.dropTables();
  await db.close();

  latencies.sort((a, b) => a - b);
  if (latencies.length === 0) throw new Error('no close event was observed');
  const fmt = (ms: number) => `${ms.toFixed(1)} ms`;
  console.log(
    `collector latency (close event → row queryable in QuestDB), ${latencies.length} closes, ` +
      `${SYMBOLS.length} symbols × ${INTERVALS.join('/')} at ${SPEED}×, polled every ${POLL_MS} ms: ` +
      `p50 ${fmt(percentile(latencies, 0.5))}, p90 ${fmt(percentile(latencies, 0.9))}, ` +
      `p99 ${fmt(percentile(latencies, 0.99))}, max ${fmt(latencies.at(-1)!)} (target p50 < 100 ms); ` +
      `mean acknowledged ILP write ${fmt((sum / Math.max(count, 1)) * 1000)} over ${count} writes; ${machineLoad()}`,
  );
  toWrite.sort((a, b) => a - b);
  toAck.sort((a, b) => a - b);
  console.log(
    `  of which: close event → ILP write starts p50 ${fmt(percentile(toWrite, 0.5))}, ` +
      `→ acknowledged p50 ${fmt(percentile(toAck, 0.5))} (the rest is QuestDB applying its WAL, and polling)`,
  );
}

main().catch((error: Error) => {
  console.error(`collector bench failed: ${error.message}`);
  process.exitCode = 1;
});
