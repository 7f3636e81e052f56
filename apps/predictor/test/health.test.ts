import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTinyModel } from '@regime/model/tiny-model';
import { QuestDb, questDbConfigFromEnv, uniqueTableNames } from '@regime/questdb';
import { createLogger } from '@regime/service';
import { afterAll, describe, expect, it } from 'vitest';
import { loadPredictorConfig } from '../src/config.ts';
import { PredictionHealth } from '../src/health.ts';
import { type Predictor, startPredictor } from '../src/predictor.ts';
import { manualClock, stopTestPredictor, testEnv } from './rig.ts';

const MINUTE = 60_000;
const T0 = Date.UTC(2024, 5, 15, 12, 0);

describe('PredictionHealth', () => {
  it('is ok until the limit passes without a success, then names the reason and the last failure', () => {
    const clock = manualClock(T0);
    const health = new PredictionHealth(clock, 3 * MINUTE, '3 × 1 min');
    expect(health.state().ok).toBe(true);
    health.failed('candles not ready');
    clock.set(T0 + 3 * MINUTE);
    expect(health.state().ok).toBe(true);
    clock.set(T0 + 3 * MINUTE + 1);
    const state = health.state();
    expect(state.ok).toBe(false);
    expect(state.reason).toBe(
      'no prediction succeeded since start-up (3.0 min, limit 3 × 1 min); last failure: candles not ready',
    );
    health.succeeded();
    expect(health.state().ok).toBe(true);
    clock.set(T0 + 7 * MINUTE);
    expect(health.state().reason).toMatch(
      /^no prediction succeeded since 2024-06-15T12:03:00.001Z \(4\.0 min/,
    );
  });
});

describe('the predictor /healthz while every job fails', () => {
  const log = createLogger('predictor-health-test');
  log.level = 'silent';
  const tables = uniqueTableNames();
  const dir = mkdtempSync(join(tmpdir(), 'predictor-health-'));
  let db: QuestDb | undefined;
  let predictor: Predictor | undefined;
  afterAll(() => stopTestPredictor(predictor, db, dir));

  it('answers 503 with the reason once no prediction succeeded for UNHEALTHY_AFTER_INTERVALS', async () => {
    await createTinyModel(dir);
    const config = loadPredictorConfig({
      ...testEnv(tables, dir, 'health'),
      MODES: 'live',
      LIVE_CATCHUP_MS: '60000',
      RETRY_ATTEMPTS: '1',
      UNHEALTHY_AFTER_INTERVALS: '3',
    });
    const clock = manualClock(T0 + 5000);
    db = await QuestDb.connect(questDbConfigFromEnv(), tables);
    predictor = await startPredictor(config, log, { clock });
    const healthz = async () => {
      const response = await fetch(`http://127.0.0.1:${predictor!.opsPort}/healthz`);
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };
    // Within the limit: healthy, even though the first job (no candles at all) fails.
    for (;;) {
      const { status, body } = await healthz();
      expect(status).toBe(200);
      if (body.lastFailure !== null) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    clock.set(T0 + 5000 + 3 * MINUTE + 1);
    const { status, body } = await healthz();
    expect(status).toBe(503);
    expect(body.ok).toBe(false);
    expect(body.reason).toMatch(
      /^no prediction succeeded since start-up \(3\.0 min, limit 3 × 1 min\); last failure: live BTCUSDT as of 2024-06-15T12:00:00.000Z: /,
    );
  });
});
