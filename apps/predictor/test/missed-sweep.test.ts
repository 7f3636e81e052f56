import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTinyModel } from '@regime/model/tiny-model';
import { QuestDb, questDbConfigFromEnv, uniqueTableNames } from '@regime/questdb';
import { createLogger } from '@regime/service';
import { afterAll, describe, expect, it } from 'vitest';
import { loadPredictorConfig } from '../src/config.ts';
import { type Predictor, startPredictor } from '../src/predictor.ts';
import { predictionJobId } from '../src/schedule.ts';
import { manualClock, stopTestPredictor, testEnv } from './rig.ts';

const log = createLogger('predictor-missed-sweep-test');
log.level = 'silent';
const MINUTE = 60_000;
const T0 = Date.UTC(2024, 5, 15, 12, 0);

type EventRow = { kind: string; symbol: string; count: number; detail: string };

/**
 * No candles at all, so no instant can get a row: every due live instant must then be recorded as
 * missed exactly once, including those that left the catch-up window while no predictor ran.
 */
describe('live instants while the predictor is down', () => {
  const tables = uniqueTableNames();
  const dir = mkdtempSync(join(tmpdir(), 'predictor-sweep-'));
  const predictors: Predictor[] = [];
  let db: QuestDb | undefined;
  afterAll(async () => {
    await predictors
      .at(-1)
      ?.queue.obliterate({ force: true })
      .catch(() => {});
    for (const p of predictors) await p.close().catch(() => {});
    await db?.dropTables();
    await db?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const events = async () => {
    await db!.waitForWal();
    return db!.query<EventRow>(`SELECT kind, symbol, count, detail FROM ${tables.events} ORDER BY detail`);
  };
  const untilRecorded = async (total: number) => {
    for (;;) {
      const rows = await events();
      if (rows.reduce((n, r) => n + Number(r.count), 0) >= total) return rows;
      await new Promise((r) => setTimeout(r, 200));
    }
  };

  it('each is recorded once: by its failed job, or as outside_catchup when it left the window unseen', async () => {
    await createTinyModel(dir);
    const config = loadPredictorConfig({
      ...testEnv(tables, dir, 'sweep'),
      MODES: 'live',
      LIVE_CATCHUP_MS: String(3 * MINUTE),
      RETRY_ATTEMPTS: '1',
    });
    db = await QuestDb.connect(questDbConfigFromEnv(), tables);
    // Up at T0: the window T0-2m..T0 is enqueued, and fails (no candles).
    const clock1 = manualClock(T0 + 5000);
    predictors.push(await startPredictor(config, log, { clock: clock1 }));
    await untilRecorded(3);
    await predictors[0]!.close();
    // Down for half an hour, then up again: window T0+28m..T0+30m.
    const clock2 = manualClock(T0 + 30 * MINUTE + 5000);
    const second = await startPredictor(config, log, { clock: clock2 });
    predictors.push(second);
    const rows = await untilRecorded(33);

    expect(rows.reduce((n, r) => n + Number(r.count), 0)).toBe(33);
    const sweep = rows.filter((r) => r.detail.includes('left the catch-up window'));
    expect(sweep).toHaveLength(1);
    expect(sweep[0]!.kind).toBe('missed_job');
    expect(Number(sweep[0]!.count)).toBe(27);
    expect(sweep[0]!.detail).toContain(
      `live as of ${new Date(T0 + MINUTE).toISOString()} .. ${new Date(T0 + 27 * MINUTE).toISOString()} (27 instants)`,
    );
    const failed = rows.filter((r) => !r.detail.includes('left the catch-up window'));
    expect(failed.map((r) => Number(r.count))).toEqual([1, 1, 1, 1, 1, 1]);
    const metrics = await second.metrics.registry.metrics();
    expect(metrics).toMatch(/predictor_jobs_missed_total\{mode="live",reason="outside_catchup"\} 27/);
    expect(await db.query(`SELECT * FROM ${tables.predictions}`)).toEqual([]);
  });
});

describe('a live job that runs long after its instant', () => {
  const tables = uniqueTableNames();
  const dir = mkdtempSync(join(tmpdir(), 'predictor-stale-'));
  let predictor: Predictor | undefined;
  let db: QuestDb | undefined;
  afterAll(() => stopTestPredictor(predictor, db, dir));

  it('writes no row and is recorded as missed (stale), once', async () => {
    await createTinyModel(dir);
    const config = loadPredictorConfig({
      ...testEnv(tables, dir, 'stale'),
      MODES: 'live',
      LIVE_CATCHUP_MS: String(MINUTE),
      LIVE_MAX_AGE_MS: String(2 * MINUTE),
      RETRY_ATTEMPTS: '1',
    });
    db = await QuestDb.connect(questDbConfigFromEnv(), tables);
    predictor = await startPredictor(config, log, { clock: manualClock(T0 + 5000) });
    // What a job taken over after a crash looks like: its instant is 5 minutes old.
    const asOf = T0 - 5 * MINUTE;
    await predictor.queue.add(
      'predict',
      { mode: 'live', symbol: 'BTCUSDT', asOf },
      { jobId: predictionJobId('live', 'BTCUSDT', asOf), attempts: 1 },
    );
    let stale: EventRow[] = [];
    while (stale.length === 0) {
      await new Promise((r) => setTimeout(r, 200));
      await db.waitForWal();
      stale = (await db.query<EventRow>(`SELECT kind, symbol, count, detail FROM ${tables.events}`)).filter(
        (r) => r.detail.includes('stale'),
      );
    }
    expect(stale).toHaveLength(1);
    expect(stale[0]!.detail).toContain(
      `live as of ${new Date(asOf).toISOString()}: stale: ran 5.1 min after`,
    );
    const metrics = await predictor.metrics.registry.metrics();
    expect(metrics).toMatch(/predictor_jobs_missed_total\{mode="live",reason="stale"\} 1/);
    const rows = await db.query(`SELECT * FROM ${tables.predictions} WHERE ts = $1`, [
      new Date(asOf).toISOString(),
    ]);
    expect(rows).toEqual([]);
  });
});
