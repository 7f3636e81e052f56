import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTinyModel } from '@regime/model/tiny-model';
import { QuestDb, questDbConfigFromEnv, uniqueTableNames } from '@regime/questdb';
import { createLogger } from '@regime/service';
import { afterAll, describe, expect, it } from 'vitest';
import { loadPredictorConfig } from '../src/config.ts';
import { modelAge } from '../src/model-expiry.ts';
import { type Predictor, startPredictor } from '../src/predictor.ts';
import { manualClock, stopTestPredictor, testEnv } from './rig.ts';

const DAY = 86_400_000;
/** The tiny model's training period ends here. */
const TRAINED_UNTIL = Date.UTC(2024, 0, 2);

describe('modelAge', () => {
  it('is expired only past MODEL_MAX_AGE_DAYS, and says why', () => {
    expect(modelAge('m', TRAINED_UNTIL, TRAINED_UNTIL + 21 * DAY, 21)).toEqual({
      version: 'm',
      ageDays: 21,
      expired: false,
    });
    const old = modelAge('m', TRAINED_UNTIL, TRAINED_UNTIL + 21.5 * DAY, 21);
    expect(old.expired).toBe(true);
    expect(old.reason).toBe(
      'model m is expired: its training data ended 2024-01-02T00:00:00.000Z, 21.5 days ago (MODEL_MAX_AGE_DAYS 21); it keeps predicting until a newer model is promoted',
    );
  });
});

describe('an expired model in the predictor', () => {
  const log = createLogger('predictor-expiry-test');
  log.level = 'silent';
  const tables = uniqueTableNames();
  const dir = mkdtempSync(join(tmpdir(), 'predictor-expiry-'));
  const predictors: Predictor[] = [];
  let db: QuestDb | undefined;
  afterAll(async () => {
    const last = predictors.pop();
    for (const p of predictors) await p.close().catch(() => {});
    await stopTestPredictor(last, db, dir);
  });

  it('keeps predicting, says so in /healthz and the age metric, and writes model_expired once a day', async () => {
    await createTinyModel(dir, 'tiny-old');
    const config = loadPredictorConfig({
      ...testEnv(tables, dir, 'expiry'),
      MODEL_MAX_AGE_DAYS: '21',
      MODES: 'official',
      RETRY_ATTEMPTS: '1',
    });
    db = await QuestDb.connect(questDbConfigFromEnv(), tables);
    const at = TRAINED_UNTIL + 30 * DAY + 3_600_000;
    const first = await startPredictor(config, log, { clock: manualClock(at) });
    predictors.push(first);
    const expired = async () => {
      await db!.waitForWal();
      return db!.query<{ detail: string; service: string }>(
        `SELECT detail, service FROM ${tables.events} WHERE kind = 'model_expired' ORDER BY ts`,
      );
    };
    while ((await expired()).length === 0) await new Promise((r) => setTimeout(r, 200));

    const response = await fetch(`http://127.0.0.1:${first.opsPort}/healthz`);
    const body = (await response.json()) as Record<string, unknown>;
    // Healthy: an expired model keeps predicting; the body tells why it is flagged.
    expect(response.status).toBe(200);
    expect(body.modelExpired).toBe(true);
    expect(body.modelAgeDays).toBe(30.04);
    expect(body.warning).toMatch(/^model tiny-old is expired: its training data ended 2024-01-02/);
    expect(await first.metrics.registry.metrics()).toMatch(
      /predictor_model_age_days\{model_version="tiny-old"\} 30\.04166/,
    );

    // A second process the same day writes nothing; one on the next day writes that day's row.
    predictors.push(await startPredictor(config, log, { clock: manualClock(at + 3_600_000) }));
    predictors.push(await startPredictor(config, log, { clock: manualClock(at + DAY) }));
    while ((await expired()).length < 2) await new Promise((r) => setTimeout(r, 200));
    await new Promise((r) => setTimeout(r, 1000));
    const rows = await expired();
    expect(rows).toHaveLength(2);
    expect(rows.every((r) => r.service === 'predictor')).toBe(true);
    expect(rows[1]!.detail).toContain('31.0 days ago');
  });
});
