import { randomUUID } from 'node:crypto';
import { hasSharedKlines, sharedKlinesDir } from '@regime/candles/files';
import {
  type PredictionRow,
  QuestDb,
  questDbConfigFromEnv,
  REGIME_IDS,
  uniqueTableNames,
} from '@regime/questdb';
import { type ReplayExchange, startReplayExchange } from '@regime/replay-exchange';
import { createLogger } from '@regime/service';
import { afterAll, describe, expect, it } from 'vitest';
import { loadScorerConfig } from '../src/config.ts';
import { type Scorer, startScorer } from '../src/scorer.ts';

const HOUR = 3_600_000;
/** Where the replay exchange's clock starts (speed 1: it stays within seconds of this). */
const REPLAY_FROM = Date.UTC(2025, 2, 10, 12, 0);

/**
 * The README's offline path: the scorer beside a replay exchange in 2025, with CLOCK=exchange. A
 * prediction made an hour before the exchange's now settles five hours later on that clock, so it
 * waits. On the wall clock (2026) it would look settled for a year, its candles would be missing, and
 * it would be given up on at once.
 */
describe.skipIf(!hasSharedKlines())('the scorer on the exchange clock', () => {
  const log = createLogger('scorer-clock-test');
  log.level = 'silent';
  const tables = uniqueTableNames();
  let replay: ReplayExchange | undefined;
  let scorer: Scorer | undefined;
  let db: QuestDb | undefined;
  afterAll(async () => {
    await scorer?.queue.obliterate({ force: true }).catch(() => {});
    await scorer?.close();
    await replay?.close();
    await db?.query(`DROP TABLE IF EXISTS ${tables.predictions}_outcomes`);
    await db?.dropTables();
    await db?.close();
  });

  it('waits for a prediction the exchange has not settled yet, and records nothing', async () => {
    replay = await startReplayExchange({
      dataDir: sharedKlinesDir(),
      symbols: ['BTCUSDT'],
      intervals: ['5m'],
      from: REPLAY_FROM,
      speed: 1,
      port: 0,
    });
    db = await QuestDb.connect(questDbConfigFromEnv(), tables);
    await db.ensureSchema();
    const ts = REPLAY_FROM - HOUR;
    const probabilities = Object.fromEntries(REGIME_IDS.map((id) => [id, 1 / REGIME_IDS.length]));
    const prediction: PredictionRow = {
      ts,
      symbol: 'BTCUSDT',
      mode: 'official',
      regime: 'range',
      confidence: 1 / REGIME_IDS.length,
      probabilities: probabilities as PredictionRow['probabilities'],
      modelVersion: 'clock-test',
      latencyMs: 1,
      createdAt: ts + 1,
    };
    await db.writePredictions([prediction]);
    await db.waitForWal();
    const config = loadScorerConfig({
      ...process.env,
      KLINES_TABLE: tables.klines,
      PREDICTIONS_TABLE: tables.predictions,
      EVENTS_TABLE: tables.events,
      OUTCOMES_TABLE: `${tables.predictions}_outcomes`,
      QUEUE_NAME: `scorer-clock-${randomUUID()}`,
      METRICS_PORT: '0',
      CLOCK: 'exchange',
      BINANCE_REST_URL: replay.restUrl,
    });
    scorer = await startScorer(config, log);
    const [tick] = await scorer.firstTick;
    expect(tick).toMatchObject({ symbol: 'BTCUSDT', written: 0, settling: 1, late: 0, missed: 0 });
    const health = (await (await fetch(`http://127.0.0.1:${scorer.opsPort}/healthz`)).json()) as {
      lastTick: string;
    };
    expect(Date.parse(health.lastTick) - REPLAY_FROM).toBeLessThan(HOUR);
  });
});
