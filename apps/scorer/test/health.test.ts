import { randomUUID } from 'node:crypto';
import { QuestDb, questDbConfigFromEnv, uniqueTableNames } from '@regime/questdb';
import { createLogger } from '@regime/service';
import { afterAll, describe, expect, it } from 'vitest';
import { loadScorerConfig } from '../src/config.ts';
import { type Scorer, startScorer } from '../src/scorer.ts';

type Health = { ok: boolean; reason?: string };

/**
 * /healthz tells the truth: a scorer whose every tick fails (here: its predictions table is gone) is
 * not ok once no tick has succeeded for SCORE_UNHEALTHY_AFTER_TICKS periods, and says why; it is ok
 * again after the next tick that succeeds. Real QuestDB and Redis; the scheduler ticks every second.
 */
describe('the scorer /healthz', () => {
  const log = createLogger('scorer-health-test');
  log.level = 'silent';
  const tables = uniqueTableNames();
  const outcomes = `${tables.predictions}_outcomes`;
  let scorer: Scorer | undefined;
  let db: QuestDb | undefined;
  afterAll(async () => {
    await scorer?.queue.obliterate({ force: true }).catch(() => {});
    await scorer?.close();
    await db?.query(`DROP TABLE IF EXISTS ${outcomes}`);
    await db?.dropTables();
    await db?.close();
  });

  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const health = async () =>
    (await (await fetch(`http://127.0.0.1:${scorer!.opsPort}/healthz`)).json()) as Health;
  const healthUntil = async (wanted: boolean): Promise<Health> => {
    for (;;) {
      const state = await health();
      if (state.ok === wanted) return state;
      await sleep(200);
    }
  };
  const failedTicks = async () => {
    const text = await scorer!.metrics.registry.metrics();
    return Number(/scorer_ticks_total\{outcome="failed"\} (\d+)/.exec(text)?.[1] ?? 0);
  };

  it('is not ok while every tick fails, with the reason, and ok again once one succeeds', async () => {
    db = await QuestDb.connect(questDbConfigFromEnv(), tables);
    const config = loadScorerConfig({
      ...process.env,
      KLINES_TABLE: tables.klines,
      PREDICTIONS_TABLE: tables.predictions,
      EVENTS_TABLE: tables.events,
      OUTCOMES_TABLE: outcomes,
      QUEUE_NAME: `scorer-health-${randomUUID()}`,
      METRICS_PORT: '0',
      SCORE_EVERY_MS: '1000',
      SCORE_OFFSET_MS: '0',
      SCORE_UNHEALTHY_AFTER_TICKS: '2',
    });
    scorer = await startScorer(config, log, { now: () => Date.UTC(2025, 2, 10) });
    await scorer.firstTick;
    // The first failed tick's job_failed event is the scorer's first write, and a writer first
    // creates any missing table (ILP must never create one): drop the table again after it.
    await db.query(`DROP TABLE ${tables.predictions}`);
    while ((await failedTicks()) === 0) await sleep(100);
    await db.query(`DROP TABLE IF EXISTS ${tables.predictions}`);

    const sick = await healthUntil(false);
    expect(sick.reason).toMatch(/^no scoring tick has succeeded for \d+\.\d min/);
    expect(sick.reason).toMatch(/last failure: .*does not exist/);
    expect((await fetch(`http://127.0.0.1:${scorer.opsPort}/healthz`)).status).toBe(503);

    await db.ensureSchema();
    expect((await healthUntil(true)).reason).toBeUndefined();
  });
});
