import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTinyModel } from '@regime/model/tiny-model';
import { QuestDb, questDbConfigFromEnv, uniqueTableNames } from '@regime/questdb';
import type { Clock } from '@regime/service';
import { createLogger } from '@regime/service';
import { afterAll, describe, expect, it } from 'vitest';
import { loadPredictorConfig } from '../src/config.ts';
import { type Predictor, startPredictor } from '../src/predictor.ts';
import { stopTestPredictor, testEnv } from './rig.ts';

const log = createLogger('predictor-missed-test');
log.level = 'silent';

describe('an official instant whose candles never arrive', () => {
  const tables = uniqueTableNames();
  const dir = mkdtempSync(join(tmpdir(), 'predictor-missed-'));
  let db: QuestDb | undefined;
  let predictor: Predictor | undefined;
  afterAll(() => stopTestPredictor(predictor, db, dir));

  it('is retried, then recorded as missed (metric + pipeline_events), and no row is written', async () => {
    await createTinyModel(dir);
    const config = loadPredictorConfig({
      ...testEnv(tables, dir, 'missed'),
      MODES: 'official',
      OFFICIAL_CATCHUP_MS: '300000',
      RETRY_ATTEMPTS: '3',
      RETRY_BACKOFF_MS: '50',
    });
    const asOf = Date.UTC(2024, 5, 15, 12, 0);
    const clock: Clock = { now: () => asOf + 5000, close: () => {} };
    db = await QuestDb.connect(questDbConfigFromEnv(), tables);
    predictor = await startPredictor(config, log, { clock });

    let events: { kind: string; symbol: string; detail: string }[] = [];
    while (events.length === 0) {
      await new Promise((r) => setTimeout(r, 200));
      await db.waitForWal();
      events = await db.query(`SELECT kind, symbol, detail FROM ${tables.events}`);
    }
    expect(events).toHaveLength(1);
    expect(events[0]!.kind).toBe('missed_job');
    expect(events[0]!.symbol).toBe('BTCUSDT');
    expect(events[0]!.detail).toContain(`official as of ${new Date(asOf).toISOString()}`);
    expect(events[0]!.detail).toContain('after 3 attempts');
    const metrics = await predictor.metrics.registry.metrics();
    expect(metrics).toMatch(/predictor_jobs_missed_total\{mode="official",reason="not_ready"\} 1/);
    expect(metrics).toMatch(/predictor_jobs_failed_total\{mode="official",reason="not_ready"\} 3/);
    const rows = await db.query(`SELECT * FROM ${tables.predictions}`);
    expect(rows).toEqual([]);
  });
});
