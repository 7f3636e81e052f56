import { loadavg } from 'node:os';
import { type Candle, closeTimeOf, INTERVAL_MS, type Kline } from '@regime/candles';
import { hasSharedKlines, readKlineFiles, sharedKlinesDir } from '@regime/candles/files';
import { Command } from 'commander';
import { DEFAULT_ROWS_PER_REQUEST, QuestDb, questDbConfigFromEnv, uniqueTableNames } from '../src/index.ts';

/**
 * Backfill-style ingest throughput: N candles through writeKlines (ILP over HTTP, every request
 * acknowledged), then the time until QuestDB has applied them (queryable). Real BTCUSDT/ETHUSDT 5m
 * candles from ../shared when present, synthetic ones otherwise. Writes to throw-away tables.
 */
const program = new Command('bench-ingest')
  .option('-n, --count <n>', 'candles to write', (v) => Number.parseInt(v, 10), 500_000)
  .option(
    '--rows-per-request <n>',
    'rows per ILP HTTP request',
    (v) => Number.parseInt(v, 10),
    DEFAULT_ROWS_PER_REQUEST,
  )
  .option(
    '--batch <n>',
    'candles per writeKlines call (like a backfill page loop)',
    (v) => Number.parseInt(v, 10),
    100_000,
  )
  .parse();
const opts = program.opts<{ count: number; rowsPerRequest: number; batch: number }>();

function syntheticCandles(n: number): Kline[] {
  const start = Date.UTC(2020, 0, 1);
  const out: Kline[] = [];
  let price = 30_000;
  for (let i = 0; i < n; i++) {
    const openTime = start + i * INTERVAL_MS['5m'];
    const open = price;
    price = Math.max(1, price * (1 + (Math.random() - 0.5) * 0.004));
    const high = Math.max(open, price) * 1.001;
    const low = Math.min(open, price) * 0.999;
    out.push({
      symbol: 'BTCUSDT',
      interval: '5m',
      openTime,
      open,
      high,
      low,
      close: price,
      volume: Math.random() * 100,
      closeTime: closeTimeOf('5m', openTime),
      closed: true,
    });
  }
  return out;
}

function sharedCandles(n: number): Kline[] {
  const out: Kline[] = [];
  for (const symbol of ['BTCUSDT', 'ETHUSDT']) {
    const candles: Candle[] = readKlineFiles(sharedKlinesDir(), symbol, '5m');
    for (const c of candles) {
      if (out.length >= n) return out;
      // One object shape for all (5m files carry no optional fields), like a backfill page.
      out.push({
        symbol,
        interval: '5m',
        openTime: c.openTime,
        open: c.open,
        high: c.high,
        low: c.low,
        close: c.close,
        volume: c.volume,
        closeTime: c.closeTime,
        closed: c.closed,
      });
    }
  }
  return out.length >= n
    ? out
    : out.concat(syntheticCandles(n - out.length).map((k) => ({ ...k, symbol: 'SOLUSDT' })));
}

const source = hasSharedKlines() ? 'real 5m candles from ../shared' : 'synthetic 5m candles';
const loadStart = performance.now();
const klines = hasSharedKlines() ? sharedCandles(opts.count) : syntheticCandles(opts.count);
console.log(`${klines.length} ${source} loaded in ${((performance.now() - loadStart) / 1000).toFixed(1)} s`);

const db = await QuestDb.connect(questDbConfigFromEnv(), uniqueTableNames('bench'), {
  rowsPerRequest: opts.rowsPerRequest,
});
try {
  await db.ensureSchema();
  // Warm-up (JIT, connections), not timed: a different symbol, so the timed rows are all new.
  await db.writeKlines(syntheticCandles(20_000).map((k) => ({ ...k, symbol: 'WARMUPUSDT' })));
  await db.waitForWal({ timeoutMs: 300_000 });
  const cpuBefore = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < klines.length; i += opts.batch) await db.writeKlines(klines.slice(i, i + opts.batch));
  const written = performance.now() - t0;
  const cpu = process.cpuUsage(cpuBefore);
  await db.waitForWal({ timeoutMs: 300_000 });
  const queryable = performance.now() - t0;
  const [row] = await db.query<{ n: number }>(
    `SELECT count() n FROM ${db.tables.klines} WHERE symbol != 'WARMUPUSDT'`,
  );
  if (row?.n !== klines.length) throw new Error(`expected ${klines.length} rows, found ${row?.n}`);

  const rate = (ms: number) => Math.round(klines.length / (ms / 1000)).toLocaleString('en-US');
  console.log(`rows per request ${opts.rowsPerRequest}, candles per writeKlines call ${opts.batch}`);
  console.log(
    `written + acknowledged: ${klines.length} candles in ${(written / 1000).toFixed(2)} s = ${rate(written)} candles/s`,
  );
  const cpuMs = (cpu.user + cpu.system) / 1000;
  console.log(
    `client CPU while writing: ${(cpuMs / 1000).toFixed(2)} s = ${((cpuMs * 1000) / klines.length).toFixed(1)} µs ` +
      `per candle (validation + encoding + HTTP); 1-min load average ${loadavg()[0]!.toFixed(1)}`,
  );
  console.log(
    `queryable (WAL applied): ${(queryable / 1000).toFixed(2)} s after start = ${rate(queryable)} candles/s`,
  );
} finally {
  await db.dropTables();
  await db.close();
}
