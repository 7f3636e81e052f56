import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closesAt, INTERVAL_MS, type Interval } from '@regime/candles';
import { hasSharedKlines, readKlineFiles, sharedKlinesDir } from '@regime/candles/files';
import { BacktestEquityTable, QuestDb, questDbConfigFromEnv, uniqueTableNames } from '@regime/questdb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { historyStart } from '../src/backtest.ts';
import { loadStrategies } from '../src/strategies/index.ts';
import { runCli } from './run-cli.ts';
import { testModelDir } from './test-model.ts';

/**
 * `--questdb` end to end: the CLI writes one row per symbol, strategy and step to its own
 * backtest_equity table; running it again replaces the rows (dedup keys) instead of adding a second
 * curve; the last equity of each strategy is the report's.
 */
describe.skipIf(!hasSharedKlines())('backtest --questdb writes the equity curves', () => {
  const table = `backtest_equity_t${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
  const work = mkdtempSync(join(tmpdir(), 'backtest-questdb-'));
  let equity: BacktestEquityTable;

  beforeAll(async () => {
    equity = await BacktestEquityTable.connect(questDbConfigFromEnv(), table);
  });
  afterAll(async () => {
    await equity?.drop();
    await equity?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('one row per step and strategy, the same rows after a re-run, ending at the report’s equity', async () => {
    const args = [
      ...['--data', sharedKlinesDir(), '--symbols', 'BTCUSDT', '--questdb', '--workers', '1'],
      ...['--from', '2025-07-01', '--to', '2025-07-01T06:00', '--out', join(work, 'REPORT.md')],
      ...['--model', await testModelDir()],
    ];
    const count = async () => (await equity.query<{ n: number }>(`SELECT count() n FROM ${table}`))[0]!.n;
    for (let run = 0; run < 2; run++) {
      const { code, stderr } = await runCli(args, { BACKTEST_EQUITY_TABLE: table });
      expect(stderr).toBe('');
      expect(code).toBe(0);
      await equity.waitForWal();
      // 72 five-minute steps × every row of the report (strategies, @causal and @hindsight rows).
      const rows = Object.keys(JSON.parse(readFileSync(join(work, 'REPORT.json'), 'utf8')).strategies);
      expect(rows).toContain('vol_scaled@hindsight');
      expect(await count()).toBe(72 * rows.length);
    }
    const report = JSON.parse(readFileSync(join(work, 'REPORT.json'), 'utf8'));
    expect(report.verdict).toMatch(/^No verdict: the period is shorter than two one-day blocks/);
    const last = await equity.query<{ strategy: string; equity: number; run: string }>(
      `SELECT strategy, equity, run FROM ${table} WHERE ts = '2025-07-01T06:00:00.000000Z' ORDER BY strategy`,
    );
    expect(last.map((r) => r.strategy)).toEqual(
      Object.keys(report.symbols.BTCUSDT.strategies).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)),
    );
    for (const r of last) {
      expect(r.equity).toBeCloseTo(1 + report.symbols.BTCUSDT.strategies[r.strategy].totalReturn, 12);
      expect(r.run).toBe(`${report.model.version}:2025-07-01T0000..2025-07-01T0600:fee10:slip0`);
    }
  }, 120_000);

  it('refuses a row that is not finite before writing anything', async () => {
    const row = {
      ts: Date.UTC(2025, 0, 1),
      run: 'r',
      symbol: 'BTCUSDT',
      strategy: 's',
      equity: 1,
      drawdown: 0,
      position: 1,
      modelVersion: 'm',
      createdAt: 0,
    };
    await expect(equity.write([row, { ...row, equity: Number.NaN }])).rejects.toThrow(
      /row 1 of 2: equity NaN/,
    );
  });
});

describe.skipIf(!hasSharedKlines())('backtest --data questdb', () => {
  const tables = uniqueTableNames('btq');
  const work = mkdtempSync(join(tmpdir(), 'backtest-klines-'));
  const FROM = Date.UTC(2025, 7, 10);
  const TO = Date.UTC(2025, 7, 10, 4);
  let db: QuestDb;

  beforeAll(async () => {
    db = await QuestDb.connect(questDbConfigFromEnv(), tables);
    await db.ensureSchema();
    const from = historyStart(FROM, await loadStrategies());
    for (const interval of ['5m', '15m', '1h'] as Interval[]) {
      const candles = readKlineFiles(sharedKlinesDir(), 'ETHUSDT', interval, { from, to: TO });
      await db.writeKlines(
        candles
          .filter((c) => closesAt(interval, c.openTime) <= TO + INTERVAL_MS['5m'])
          .map((c) => ({ ...c, symbol: 'ETHUSDT', interval })),
      );
    }
    await db.waitForWal();
  }, 120_000);
  afterAll(async () => {
    await db?.dropTables();
    await db?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('reads the klines table and reports exactly what the files give', async () => {
    const run = async (data: string, name: string) => {
      const out = join(work, name, 'REPORT.md');
      const args = [
        '--data',
        data,
        '--symbols',
        'ETHUSDT',
        '--from',
        '2025-08-10',
        '--to',
        '2025-08-10T04:00',
      ];
      const { code, stderr } = await runCli(
        [...args, '--workers', '1', '--out', out, '--model', await testModelDir()],
        {
          KLINES_TABLE: tables.klines,
        },
      );
      expect(stderr).toBe('');
      expect(code).toBe(0);
      return JSON.parse(readFileSync(out.replace(/md$/, 'json'), 'utf8'));
    };
    const [fromDb, fromFiles] = [await run('questdb', 'db'), await run(sharedKlinesDir(), 'files')];
    expect(fromDb.data.source).toMatch(/^QuestDB/);
    expect(fromDb.data.instants).toBe(48);
    expect(fromDb.symbols.ETHUSDT.missingPredictions).toBe(0);
    expect(fromDb.symbols).toEqual(fromFiles.symbols);
    expect(fromDb.strategies).toEqual(fromFiles.strategies);
  }, 120_000);
});
