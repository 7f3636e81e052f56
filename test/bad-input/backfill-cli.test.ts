import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { QuestDb } from '@regime/questdb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeExchange } from '../src/fake-exchange.ts';

/**
 * The backfill CLI as a user runs it, with impossible dates and a period the exchange has not reached:
 * each must exit non-zero with a message that says what is wrong, and write nothing to QuestDB.
 * The CLI writes to the default tables, so the fake exchange lists a symbol no other test uses and
 * the check is that klines holds no row of it.
 */

const repoRoot = resolve(import.meta.dirname, '../..');
const SYMBOL = 'QQBADINPUTUSDT';
const NOW = Date.UTC(2025, 5, 2, 12, 0, 30);
const questdb = {
  httpUrl: process.env.QUESTDB_HTTP ?? 'http://127.0.0.1:9000',
  pgUrl: process.env.QUESTDB_PG_URL ?? 'postgres://admin:quest@127.0.0.1:8812/qdb',
};

let exchange: FakeExchange;
let db: QuestDb;

beforeAll(async () => {
  exchange = await FakeExchange.start({ now: () => NOW, symbols: [SYMBOL] });
  db = await QuestDb.connect(questdb);
  await db.ensureSchema();
});
afterAll(async () => {
  await exchange?.close();
  await db?.close();
});

function backfill(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'apps/backfill/src/main.ts', '--symbols', SYMBOL, '--intervals', '5m', ...args],
      {
        cwd: repoRoot,
        timeout: 60_000,
        env: {
          ...process.env,
          BINANCE_REST_URL: exchange.restUrl,
          QUESTDB_HTTP: questdb.httpUrl,
          QUESTDB_PG_URL: questdb.pgUrl,
          LOG_LEVEL: 'error',
        },
      },
      (error, stdout, stderr) => done({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

async function storedRowsOfSymbol(): Promise<number> {
  await db.waitForWal();
  const found = await db.query<{ n: number }>(`SELECT count() n FROM ${db.tables.klines} WHERE symbol = $1`, [
    SYMBOL,
  ]);
  return Number(found[0]!.n);
}

describe('backfill CLI refuses impossible dates before doing anything', () => {
  it.each([
    ['--from', '2025-02-30', /--from "2025-02-30" has no day 30 \(2025-02 has 28 days\)/],
    ['--from', '2025-02-29', /--from "2025-02-29" has no day 29 \(2025-02 has 28 days\)/],
    ['--to', '2024-04-31', /--to "2024-04-31" has no day 31 \(2024-04 has 30 days\)/],
    ['--from', '2025-13-01', /--from "2025-13-01" has no month 13/],
    ['--from', '2025-01-01T24:00', /--from "2025-01-01T24:00" has no such time of day/],
    ['--from', '01/02/2025', /--from "01\/02\/2025" is not an ISO date/],
  ])('%s %s', async (flag, value, message) => {
    const before = exchange.requests.length;
    const result = await backfill([flag, value]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(message);
    expect(exchange.requests.length).toBe(before);
    expect(await storedRowsOfSymbol()).toBe(0);
  });
});

describe('backfill CLI with a period after the exchange clock', () => {
  it('exits 1 and says the period has not begun, instead of "done: 0 rows"', async () => {
    const result = await backfill(['--from', '2025-07-01', '--to', '2025-08-01']);
    expect(result.code).toBe(1);
    expect(result.stdout).not.toMatch(/done: 0 rows/);
    expect(result.stderr).toMatch(
      /backfill failed: the period starts at 2025-07-01T00:00:00Z, after the exchange clock \(2025-06-02T12:00:30Z\)/,
    );
    expect(await storedRowsOfSymbol()).toBe(0);
  });
});
