import { Writable } from 'node:stream';
import type { Interval } from '@regime/candles';
import { Collector, type CollectorDeps, type CollectorOptions } from '@regime/collector';
import { QuestDb, uniqueTableNames } from '@regime/questdb';
import pino, { type Logger } from 'pino';
import { FakeExchange } from './fake-exchange.ts';

/** QuestDB on its own fresh tables (dropped by close()). */
export async function freshDb(): Promise<QuestDb> {
  const db = await QuestDb.connect(
    {
      httpUrl: process.env.QUESTDB_HTTP ?? 'http://127.0.0.1:9000',
      pgUrl: process.env.QUESTDB_PG_URL ?? 'postgres://admin:quest@127.0.0.1:8812/qdb',
    },
    uniqueTableNames('bad'),
  );
  await db.ensureSchema();
  return db;
}

export async function dropDb(db: QuestDb | undefined): Promise<void> {
  await db?.dropTables().catch(() => {});
  await db?.close();
}

/** A pino logger whose JSON lines are kept in memory, so tests can assert on what was logged. */
export function capturingLogger(level = 'info'): { logger: Logger; lines: () => Record<string, unknown>[] } {
  const raw: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      raw.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  const logger = pino({ level }, sink);
  return { logger, lines: () => raw.map((line) => JSON.parse(line) as Record<string, unknown>) };
}

export async function waitFor(what: string, ready: () => boolean | Promise<boolean>, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await ready())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

export interface CollectorRig {
  exchange: FakeExchange;
  db: QuestDb;
  collector: Collector;
  logs: () => Record<string, unknown>[];
  close(): Promise<void>;
}

/** A collector on fresh tables against a fake exchange whose clock stands still at `now`. */
export async function collectorRig(opts: {
  now: number;
  symbols?: string[];
  intervals?: Interval[];
  lookbackMs?: number;
  db?: QuestDb;
  collector?: Partial<CollectorOptions>;
  deps?: Partial<CollectorDeps>;
  exchange?: FakeExchange;
}): Promise<CollectorRig> {
  const exchange = opts.exchange ?? (await FakeExchange.start({ now: () => opts.now }));
  const db = opts.db ?? (await freshDb());
  const { logger, lines } = capturingLogger();
  const collector = await Collector.start(
    {
      symbols: opts.symbols ?? ['BTCUSDT'],
      intervals: opts.intervals ?? ['5m'],
      restUrl: exchange.restUrl,
      wsUrl: exchange.wsUrl,
      liveFlushMs: 100,
      lookbackMs: opts.lookbackMs ?? 3_600_000,
      ...opts.collector,
    },
    {
      db,
      logger,
      rest: { backoff: { minMs: 20, maxMs: 100 } },
      stream: { reconnect: { minMs: 20, maxMs: 200 } },
      gapFillRetryMs: 100,
      ...opts.deps,
    },
  );
  await waitFor('the collector to connect', () => exchange.sockets.size > 0);
  return {
    exchange,
    db,
    collector,
    logs: lines,
    async close() {
      await collector.stop(5000).catch(() => {});
      await exchange.close();
      if (!opts.db) await dropDb(db);
    },
  };
}

/** Rows of a table after everything acknowledged is visible. */
export async function rows<T>(db: QuestDb, sql: string, params: unknown[] = []): Promise<T[]> {
  await db.waitForWal();
  return db.query<T>(sql, params);
}

/** The value of one labelled series of a prom-client counter (0 when absent). */
export async function counterValue(
  counter: { get(): Promise<{ values: { labels: Record<string, unknown>; value: number }[] }> },
  labels: Record<string, string> = {},
): Promise<number> {
  const { values } = await counter.get();
  return values
    .filter((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x))
    .reduce((n, v) => n + v.value, 0);
}
