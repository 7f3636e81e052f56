import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { hasSharedKlines, sharedKlinesDir } from '@regime/candles/files';
import { createTinyModel } from '@regime/model/tiny-model';
import { QuestDb, questDbConfigFromEnv, uniqueTableNames } from '@regime/questdb';
import { type ReplayExchange, startReplayExchange } from '@regime/replay-exchange';
import type { Clock } from '@regime/service';
import { createLogger } from '@regime/service';
import { afterAll, describe, expect, it } from 'vitest';
import { loadPredictorConfig } from '../src/config.ts';
import { type Predictor, startPredictor } from '../src/predictor.ts';
import { predictionJobId } from '../src/schedule.ts';
import { stopTestPredictor, testEnv } from './rig.ts';

const MINUTE = 60_000;
const T0 = Date.UTC(2024, 5, 15, 12, 0);

function capture() {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n')) if (line) lines.push(JSON.parse(line));
      done();
    },
  });
  const log = createLogger('predictor-clock-test', sink);
  log.level = 'info';
  return { log, lines };
}

describe.skipIf(!hasSharedKlines())(
  'a predictor on the wall clock against the replay exchange (2024)',
  () => {
    const tables = uniqueTableNames();
    const dir = mkdtempSync(join(tmpdir(), 'predictor-clock-'));
    let replay: ReplayExchange | undefined;
    let predictor: Predictor | undefined;
    let db: QuestDb | undefined;
    afterAll(async () => {
      await predictor?.queue.obliterate({ force: true }).catch(() => {});
      await predictor?.close();
      await replay?.close();
      await db?.dropTables();
      await db?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('logs a loud error naming both clocks and the fix, and /healthz is not ok', async () => {
      await createTinyModel(dir);
      replay = await startReplayExchange({
        dataDir: sharedKlinesDir(),
        symbols: ['BTCUSDT'],
        intervals: ['5m', '15m', '1h'],
        from: T0,
        speed: 1,
        port: 0,
      });
      const { log, lines } = capture();
      const config = loadPredictorConfig({
        ...testEnv(tables, dir, 'clock'),
        BINANCE_REST_URL: replay.restUrl,
      });
      expect(config.clock.kind).toBe('wall');
      db = await QuestDb.connect(questDbConfigFromEnv(), tables);
      predictor = await startPredictor(config, log);
      let error: Record<string, unknown> | undefined;
      while (!error) {
        error = lines.find((l) => String(l.msg).startsWith('CLOCK MISMATCH'));
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(error.level).toBe(50);
      expect(error.msg).toMatch(/the predictor's clock is \d+\.\d min ahead of the exchange's/);
      expect(error.msg).toContain('set CLOCK=exchange');
      expect(error.exchange).toMatch(/^2024-06-15T12:0/);
      const response = await fetch(`http://127.0.0.1:${predictor.opsPort}/healthz`);
      expect(response.status).toBe(503);
      expect(((await response.json()) as { reason: string }).reason).toMatch(
        /clock \d+\.\d min ahead of the exchange's \(set CLOCK=exchange/,
      );
    });
  },
);

describe('jobs left in Redis by a run on another clock', () => {
  const tables = uniqueTableNames();
  const dir = mkdtempSync(join(tmpdir(), 'predictor-foreign-'));
  let predictor: Predictor | undefined;
  let db: QuestDb | undefined;
  afterAll(() => stopTestPredictor(predictor, db, dir));

  it('are dropped at start-up, never run, never recorded as missed', async () => {
    await createTinyModel(dir);
    const config = loadPredictorConfig({ ...testEnv(tables, dir, 'foreign'), MODES: 'official' });
    db = await QuestDb.connect(questDbConfigFromEnv(), tables);
    const { Queue } = await import('bullmq');
    const queue = new Queue(config.queueName, { connection: { url: config.redisUrl } });
    // Queued by a predictor on the wall clock, 2 years after the replay's T0; delayed so none runs yet.
    const future = T0 + 2 * 365 * 24 * 60 * MINUTE;
    for (const asOf of [future, future + 5 * MINUTE]) {
      await queue.add(
        'predict',
        { mode: 'official', symbol: 'BTCUSDT', asOf },
        { jobId: predictionJobId('official', 'BTCUSDT', asOf), delay: 60_000 },
      );
    }
    await queue.close();
    const { log, lines } = capture();
    const clock: Clock = { now: () => T0 + 5000, close: () => {} };
    predictor = await startPredictor(config, log, { clock });
    expect(await predictor.queue.getJob(predictionJobId('official', 'BTCUSDT', future))).toBeUndefined();
    expect(
      await predictor.queue.getJob(predictionJobId('official', 'BTCUSDT', future + 5 * MINUTE)),
    ).toBeUndefined();
    expect(
      lines.find((l) => String(l.msg).startsWith('dropped queued prediction jobs from another clock')),
    ).toMatchObject({
      dropped: 2,
    });
    const metrics = await predictor.metrics.registry.metrics();
    expect(metrics).not.toMatch(/predictor_jobs_missed_total\{mode="official",reason="[a-z_]+"\} [1-9]/);
  });
});

describe('finished jobs left in Redis by a run against another database', () => {
  const tables = uniqueTableNames();
  const dir = mkdtempSync(join(tmpdir(), 'predictor-orphan-'));
  let predictor: Predictor | undefined;
  let db: QuestDb | undefined;
  afterAll(() => stopTestPredictor(predictor, db, dir));

  it('are forgotten at start-up, so their instants are predicted (here: recorded as missed) again', async () => {
    await createTinyModel(dir);
    const config = loadPredictorConfig({
      ...testEnv(tables, dir, 'orphan'),
      MODES: 'official',
      OFFICIAL_CATCHUP_MS: String(10 * MINUTE),
      RETRY_ATTEMPTS: '1',
    });
    db = await QuestDb.connect(questDbConfigFromEnv(), tables);
    await db.ensureSchema();
    // The earlier run predicted T0-5m and kept the finished job; its row went to another database.
    const { Queue, Worker } = await import('bullmq');
    const connection = { url: config.redisUrl, maxRetriesPerRequest: null };
    const queue = new Queue(config.queueName, { connection });
    const orphan = predictionJobId('official', 'BTCUSDT', T0 - 5 * MINUTE);
    await queue.add(
      'predict',
      { mode: 'official', symbol: 'BTCUSDT', asOf: T0 - 5 * MINUTE, earlierRun: true },
      { jobId: orphan, removeOnComplete: false },
    );
    const earlier = new Worker(config.queueName, async () => ({ regime: 'range' }), { connection });
    while ((await queue.getJobState(orphan)) !== 'completed') await new Promise((r) => setTimeout(r, 50));
    await earlier.close();
    // It finished ten minutes ago (jobs finished within the last minute may still have their row in
    // QuestDB's WAL, so they are kept): BullMQ keeps that time in the job's hash.
    const client = await queue.client;
    await client.hset(`bull:${config.queueName}:${orphan}`, { finishedOn: String(Date.now() - 10 * MINUTE) });
    await queue.close();

    const { log, lines } = capture();
    const clock: Clock = { now: () => T0 + 5000, close: () => {} };
    predictor = await startPredictor(config, log, { clock });
    expect((await predictor.queue.getJob(orphan))?.data.earlierRun).toBeUndefined();
    expect(lines.find((l) => String(l.msg).startsWith('forgot finished prediction jobs'))).toMatchObject({
      forgotten: 1,
    });
    // No candles here: predicted again, the instant fails and is recorded, instead of staying silent.
    let events: { detail: string }[] = [];
    while (!events.some((e) => e.detail.includes(new Date(T0 - 5 * MINUTE).toISOString()))) {
      await new Promise((r) => setTimeout(r, 200));
      await db.waitForWal();
      events = await db.query<{ detail: string }>(`SELECT detail FROM ${tables.events}`);
    }
    expect(await db.query(`SELECT * FROM ${tables.predictions}`)).toEqual([]);
  });
});
