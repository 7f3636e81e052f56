import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { asOfInstants, historyStart, loadStrategies, walkForwardPredictions } from '@regime/backtest';
import { closesAt, INTERVAL_MS, type Interval } from '@regime/candles';
import { hasSharedKlines, readKlineFiles, sharedKlinesDir } from '@regime/candles/files';
import { historyWarmup } from '@regime/inference';
import { loadRegimeModel, REGIMES, type RegimeModel } from '@regime/model';
import { fileCandleSource, questDbCandleSource } from '@regime/model/candle-source';
import { createTinyModel } from '@regime/model/tiny-model';
import { loadPredictorConfig, type Predictor, startPredictor } from '@regime/predictor';
import { QuestDb, questDbConfigFromEnv, uniqueTableNames } from '@regime/questdb';
import { createLogger } from '@regime/service';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The backtest's predictions are the predictor's: real candles go into QuestDB, the real predictor
 * (BullMQ on the shared Redis, its own queue; a clock stopped just after END) writes its official
 * rows for the two hours before END, and the backtest's walk-forward computes the same instants from
 * the same table, and from the ../shared files. Every regime and probability must agree.
 */
const SYMBOLS = ['BTCUSDT', 'ETHUSDT'];
const INTERVALS: Interval[] = ['5m', '15m', '1h'];
const END = Date.UTC(2025, 6, 15, 14, 0);
const CATCHUP = 2 * 3_600_000;
const OFFSET = 3_000;

interface Row {
  ts: number;
  symbol: string;
  regime: string;
  model_version: string;
  [p: `p_${string}`]: number;
}

describe.skipIf(!hasSharedKlines())('backtest predictions equal the predictor’s', () => {
  const log = createLogger('backtest-predictor-test');
  log.level = process.env.LOG_LEVEL ?? 'warn';
  const tables = uniqueTableNames('bt');
  const config = questDbConfigFromEnv();
  let db: QuestDb;
  let predictor: Predictor | undefined;
  let model: RegimeModel;
  const instants = asOfInstants(END - CATCHUP + 300_000, END + 300_000);
  // A model of this build's labeler with a two-window decision rule (the predictor's test model): what
  // is compared is the path, for whatever model both load.
  const workDir = mkdtempSync(join(tmpdir(), 'backtest-predictor-'));
  const modelDir = join(workDir, 'model');

  beforeAll(async () => {
    db = await QuestDb.connect(config, tables);
    await db.ensureSchema();
    const warmup = historyWarmup();
    for (const symbol of SYMBOLS) {
      for (const interval of INTERVALS) {
        const ms = INTERVAL_MS[interval];
        const from = END - CATCHUP - (warmup[interval as '5m'] + 10) * ms;
        const candles = readKlineFiles(sharedKlinesDir(), symbol, interval, { from, to: END });
        await db.writeKlines(
          candles
            .filter((c) => closesAt(interval, c.openTime) <= END)
            .map((c) => ({ ...c, symbol, interval })),
        );
      }
    }
    await db.waitForWal();
    await createTinyModel(modelDir, 'backtest-vs-predictor', 5);
    model = await loadRegimeModel(modelDir);
    predictor = await startPredictor(
      loadPredictorConfig({
        ...process.env,
        SYMBOLS: SYMBOLS.join(','),
        MODES: 'official',
        QUEUE_NAME: `backtest-test-${tables.klines.slice(-12)}`,
        KLINES_TABLE: tables.klines,
        PREDICTIONS_TABLE: tables.predictions,
        EVENTS_TABLE: tables.events,
        METRICS_PORT: '0',
        MODEL_DIR: modelDir,
        OFFICIAL_OFFSET_MS: String(OFFSET),
        OFFICIAL_CATCHUP_MS: String(CATCHUP),
      }),
      log,
      { clock: { now: () => END + OFFSET + 1000, close: () => {} } },
    );
  }, 180_000);

  afterAll(async () => {
    await predictor?.queue.obliterate({ force: true }).catch(() => {});
    await predictor?.close();
    model?.dispose();
    await db?.dropTables();
    await db?.close();
    rmSync(workDir, { recursive: true, force: true });
  });

  it('same regime and probabilities at every instant, from QuestDB and from the files', async () => {
    expect(instants).toHaveLength(24);
    const expected = SYMBOLS.length * instants.length;
    let rows: Row[] = [];
    const deadline = Date.now() + 150_000;
    while (rows.length < expected) {
      if (Date.now() > deadline) throw new Error(`the predictor wrote ${rows.length} of ${expected} rows`);
      await new Promise((resolve) => setTimeout(resolve, 250));
      rows = await db.query<Row>(
        `SELECT * FROM ${tables.predictions} WHERE mode = 'official' ORDER BY symbol, ts`,
      );
    }
    expect(rows).toHaveLength(expected);
    const strategies = await loadStrategies();
    const fromDb = await questDbCandleSource(config, tables);
    const fromFiles = fileCandleSource(sharedKlinesDir());
    try {
      for (const symbol of SYMBOLS) {
        const theirs = rows.filter((r) => r.symbol === symbol);
        expect(theirs.map((r) => r.ts)).toEqual(instants);
        for (const source of [fromDb, fromFiles]) {
          const history = await source.history(symbol, {
            from: historyStart(instants[0]!, strategies),
            to: END,
          });
          const ours = await walkForwardPredictions(model, history, instants, { batchSize: 7 });
          ours.forEach((p, i) => {
            const row = theirs[i]!;
            if (!p.ok) throw new Error(`${source.description}: no prediction at ${row.ts}: ${p.reason}`);
            expect(p.prediction.regime, `${symbol} ${row.ts}`).toBe(row.regime);
            for (const id of REGIMES) expect(p.prediction.probabilities[id]).toBeCloseTo(row[`p_${id}`]!, 12);
          });
        }
        expect(new Set(theirs.map((r) => r.model_version))).toEqual(new Set([model.version]));
      }
    } finally {
      await fromDb.close();
    }
  }, 240_000);
});
