import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { type Candle, closesAt, INTERVAL_MS, type Interval } from '@regime/candles';
import { hasSharedKlines, readKlineFiles, sharedKlinesDir } from '@regime/candles/files';
import { Collector } from '@regime/collector';
import { decisionInstants, historyWarmup, modelInputAt } from '@regime/inference';
import { decidePrediction, loadRegimeModel, REGIMES, type RegimePrediction } from '@regime/model';
import { createTinyModel } from '@regime/model/tiny-model';
import { loadPredictorConfig, type Predictor, startPredictor } from '@regime/predictor';
import { QuestDb, questDbConfigFromEnv, uniqueTableNames } from '@regime/questdb';
import { type ReplayExchange, startReplayExchange } from '@regime/replay-exchange';
import { createLogger } from '@regime/service';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from './src/grafana/dashboards.ts';

/**
 * The predictor end to end: the replay exchange at SPEED×, the collector writing its candles into
 * QuestDB, and three predictor instances sharing one BullMQ queue, on the exchange's clock: one in
 * this process, two child processes (`apps/predictor/src/main.ts`). Mid-run, while jobs are in
 * flight, one child is killed with `kill -9` (SIGKILL: its jobs are abandoned with their locks held)
 * and Redis is shut down without saving and started again (empty); the two survivors must reconnect
 * and re-create the schedulers, and a replacement predictor starts. Afterwards every 5-minute instant
 * has exactly one official row per symbol and every minute one live row, or else is recorded as
 * missed in pipeline_events (never both, never two rows), and every official row equals an offline
 * recomputation from the source files with the same model.
 *
 * Redis: this test runs its own redis-server (same flags as packages/stack: no persistence) on a free
 * port, because shutting down the shared one would break every other test running at the same time.
 */

const SYMBOLS = ['BTCUSDT', 'ETHUSDT'];
const INTERVALS: Interval[] = ['5m', '15m', '1h'];
const FROM = Date.UTC(2024, 5, 15, 12, 0);
const SPEED = 90;
const MINUTE = 60_000;
/** The run: at least this long after the replacement predictor is up (virtual ms). */
const RUN_AFTER_RESTART = 10 * MINUTE;
/** Catch-up windows of the predictor (virtual ms): longer than any outage, shorter than the preload. */
const OFFICIAL_CATCHUP = 60 * MINUTE;
const LIVE_CATCHUP = 60 * MINUTE;

async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => ok(port));
    });
  });
}

/** A redis-server started the way packages/stack starts it (no persistence). */
class OwnRedis {
  private process: ChildProcess | undefined;
  constructor(
    readonly port: number,
    private readonly dir: string,
  ) {}
  get url() {
    return `redis://127.0.0.1:${this.port}`;
  }
  async start(): Promise<void> {
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
    const child = spawn('redis-server', [...args, '--dir', this.dir], { stdio: 'ignore' });
    this.process = child;
    let exited = false;
    child.once('exit', () => {
      exited = true;
    });
    // Until it answers or dies: a loaded machine may take a while to start it.
    while (!exited) {
      const client = new Redis(this.port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 0 });
      client.on('error', () => {});
      const ok = await client.connect().then(
        () => client.ping(),
        () => undefined,
      );
      client.disconnect();
      if (ok === 'PONG') return;
      await sleep(50);
    }
    throw new Error(`redis-server on port ${this.port} did not start`);
  }
  /** `redis-cli shutdown nosave`: everything in it is gone. */
  shutdownNoSave(): void {
    spawnSync('redis-cli', ['-p', String(this.port), 'shutdown', 'nosave']);
    this.process = undefined;
  }
  stop(): void {
    this.process?.kill('SIGKILL');
  }
}

const sleep = (ms: number) => new Promise((ok) => setTimeout(ok, ms));

/**
 * Polls `probe` until it returns a value. No deadline of its own: under load everything here runs
 * slower (the machine is shared with the rest of `npm test`), and the only question is whether the
 * condition is reached, so the one time limit is the test's timeout (generous, for a hung run).
 */
async function waitFor<T>(probe: () => Promise<T | undefined>): Promise<T> {
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    await sleep(100);
  }
}

describe.skipIf(!hasSharedKlines())(
  'predictor against the replay exchange (abrupt stop + Redis restart)',
  () => {
    const log = createLogger('predictor-test');
    log.level = process.env.LOG_LEVEL ?? 'warn';
    const tables = uniqueTableNames();
    const queueName = `predictor-test-${tables.klines.slice(-12)}`;
    const workDir = mkdtempSync(join(tmpdir(), 'predictor-test-'));
    const modelDir = join(workDir, 'model');
    let db: QuestDb;
    let redis: OwnRedis;
    let replay: ReplayExchange;
    let collector: Collector;
    const predictors: Predictor[] = [];
    const children: ChildProcess[] = [];

    const predictorEnv = (): NodeJS.ProcessEnv => ({
      ...process.env,
      SYMBOLS: SYMBOLS.join(','),
      REDIS_URL: redis.url,
      QUEUE_NAME: queueName,
      KLINES_TABLE: tables.klines,
      PREDICTIONS_TABLE: tables.predictions,
      EVENTS_TABLE: tables.events,
      MODEL_DIR: modelDir,
      METRICS_PORT: '0',
      // The tiny model's training data ends in 2024-01: its model_expired row is not what this tests.
      MODEL_MAX_AGE_DAYS: '100000',
      CLOCK: 'exchange',
      BINANCE_REST_URL: replay.restUrl,
      TIME_SCALE: String(SPEED),
      CLOCK_POLL_MS: '500',
      OFFICIAL_OFFSET_MS: '2000',
      LIVE_OFFSET_MS: '1000',
      OFFICIAL_CATCHUP_MS: String(OFFICIAL_CATCHUP),
      LIVE_CATCHUP_MS: String(LIVE_CATCHUP),
      RETRY_ATTEMPTS: '12',
      RETRY_BACKOFF_MS: '100',
      LOCK_MS: '2000',
      // 30 virtual minutes = 20 wall seconds at SPEED: the Redis restart must not make it unhealthy.
      UNHEALTHY_AFTER_INTERVALS: '30',
    });
    const startOne = async () => {
      const predictor = await startPredictor(loadPredictorConfig(predictorEnv()), log);
      predictors.push(predictor);
      return predictor;
    };
    /** The predictor as its own process, resolved once it says it is running. */
    const startChild = () =>
      new Promise<ChildProcess>((ok, fail) => {
        const child = spawn(process.execPath, ['--import', 'tsx', 'apps/predictor/src/main.ts'], {
          cwd: repoRoot,
          env: { ...predictorEnv(), LOG_PRETTY: '0', LOG_LEVEL: 'info' },
          stdio: ['ignore', 'pipe', 'inherit'],
        });
        children.push(child);
        child.once('exit', (code, signal) =>
          fail(new Error(`the predictor child stopped (${code ?? signal})`)),
        );
        createInterface({ input: child.stdout! }).on('line', (line) => {
          if (line.includes('"msg":"predictor running"')) ok(child);
        });
      });

    const officialRowsSince = async (from: number) => {
      const rows = await db.query<{ n: number }>(
        `SELECT count() n FROM ${tables.predictions} WHERE mode = 'official' AND ts >= $1`,
        [new Date(from).toISOString()],
      );
      return rows[0]!.n;
    };

    beforeAll(async () => {
      await createTinyModel(modelDir);
      redis = new OwnRedis(await freePort(), workDir);
      await redis.start();
      db = await QuestDb.connect(questDbConfigFromEnv(), tables);
      await db.ensureSchema();
      // History before FROM straight from the files (what the backfill would have loaded): the warm-up
      // of the oldest instant the predictor's catch-up may reach, and a margin.
      const warmup = historyWarmup();
      for (const symbol of SYMBOLS) {
        for (const interval of INTERVALS) {
          const ms = INTERVAL_MS[interval];
          const from = FROM - OFFICIAL_CATCHUP - (warmup[interval as '5m'] + 10) * ms;
          const candles = readKlineFiles(sharedKlinesDir(), symbol, interval, { from, to: FROM });
          await db.writeKlines(
            candles
              .filter((c) => closesAt(interval, c.openTime) <= FROM)
              .map((c) => ({ ...c, symbol, interval })),
          );
        }
      }
      await db.waitForWal();
      replay = await startReplayExchange({
        dataDir: sharedKlinesDir(),
        symbols: SYMBOLS,
        intervals: INTERVALS,
        from: FROM,
        speed: SPEED,
        port: 0,
      });
      collector = await Collector.start(
        {
          symbols: SYMBOLS,
          intervals: INTERVALS,
          restUrl: replay.restUrl,
          wsUrl: replay.wsUrl,
          liveFlushMs: 100,
          lookbackMs: 3_600_000,
        },
        { db, logger: log },
      );
      await Promise.all([startOne(), startChild(), startChild()]);
    }, 120_000);

    afterAll(async () => {
      for (const child of children) child.kill('SIGKILL');
      for (const p of predictors) await p.close().catch(() => {});
      await collector?.stop().catch(() => {});
      await replay?.close();
      redis?.stop();
      await db?.dropTables().catch(() => {});
      await db?.close();
      rmSync(workDir, { recursive: true, force: true });
    });

    it('writes one official row per 5 minutes and one live row per minute, none lost or doubled', async () => {
      // The three predictors work; then one child is killed mid-run and Redis loses everything.
      const t0 = Date.now();
      const started = replay.now();
      await waitFor(async () =>
        (await officialRowsSince(started)) >= 2 * SYMBOLS.length ? true : undefined,
      );
      // Mid-run: at a moment when the queue has jobs in progress (some of them, likely, the victim's).
      await waitFor(async () => ((await predictors[0]!.queue.getActiveCount()) > 0 ? true : undefined));
      console.log(`[predictor-test] running: ${((Date.now() - t0) / 1000).toFixed(1)} s; kill -9 one child`);
      children[0]!.kill('SIGKILL');
      redis.shutdownNoSave();
      await redis.start();
      // The survivor alone must reconnect, put the schedulers back into the empty Redis and go on.
      const restartedAt = replay.now();
      await waitFor(async () =>
        (await officialRowsSince(restartedAt)) >= SYMBOLS.length ? true : undefined,
      );
      console.log(`[predictor-test] survivor resumed: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      const metrics = await (await fetch(`http://127.0.0.1:${predictors[0]!.opsPort}/metrics`)).text();
      expect(metrics).toMatch(/predictor_jobs_done_total\{mode="official"\} [1-9]/);
      expect(metrics).toMatch(/predictor_queue_depth\{state="wait"\}/);
      const health = await fetch(`http://127.0.0.1:${predictors[0]!.opsPort}/healthz`);
      expect(health.status).toBe(200);
      await startOne();
      const runUntil = replay.now() + RUN_AFTER_RESTART;
      await waitFor(async () => (replay.now() >= runUntil ? true : undefined));

      const lastOfficial = Math.floor((runUntil - 3 * MINUTE) / (5 * MINUTE)) * 5 * MINUTE;
      const lastLive = Math.floor((runUntil - 2 * MINUTE) / MINUTE) * MINUTE;
      const expectedInstants = (step: number, last: number) => {
        const out: number[] = [];
        for (let t = FROM; t <= last; t += step) out.push(t);
        return out;
      };
      const grouped = async () => {
        await db.waitForWal();
        return db.query<{ ts: number; symbol: string; mode: string; n: number }>(
          `SELECT ts, symbol, mode, count() n FROM ${tables.predictions} WHERE ts >= $1 GROUP BY ts, symbol, mode ORDER BY ts`,
          // From the oldest instant the start-up catch-up reaches: recorded misses may be that old.
          [new Date(FROM - OFFICIAL_CATCHUP - LIVE_CATCHUP).toISOString()],
        );
      };
      /**
       * The instants recorded as missed, per "mode symbol", from the predictor's pipeline_events rows.
       * A row names one instant or a range with its count; a range may skip instants that have rows
       * (the sweep records the row-less ones of a window), so it stands for the row-less instants
       * in it, and there must be exactly `count` of them.
       */
      const missedInstants = async (rows: Awaited<ReturnType<typeof grouped>>) => {
        const events = await db.query<{ kind: string; symbol: string; count: number; detail: string }>(
          `SELECT kind, symbol, "count", detail FROM ${tables.events} WHERE service = 'predictor'`,
        );
        const missed = new Map<string, number[]>();
        for (const e of events) {
          expect(['missed_job', 'job_failed'], e.detail).toContain(e.kind);
          // "<mode> as of <T>: why" or "<mode> as of <first> .. <last> (<n> instants): why" (MissedRecorder)
          const m = /^(official|live) as of (\S+?)(?: \.\. (\S+) \((\d+) instants\))?: /.exec(e.detail);
          expect(m, e.detail).not.toBeNull();
          const [, mode, first, last] = m!;
          const step = mode === 'official' ? 5 * MINUTE : MINUTE;
          const from = Date.parse(first!);
          const to = last ? Date.parse(last) : from;
          // The range's instants without a row (some may be before FROM: the start-up catch-up's).
          const instants: number[] = [];
          for (let t = from; t <= to; t += step) {
            if (!rows.some((r) => r.symbol === e.symbol && r.mode === mode && r.ts === t)) instants.push(t);
          }
          expect(instants.length, e.detail).toBe(e.count);
          const key = `${mode} ${e.symbol}`;
          missed.set(key, [...(missed.get(key) ?? []), ...instants]);
        }
        return missed;
      };
      const accounted = (rows: Awaited<ReturnType<typeof grouped>>, missed: Map<string, number[]>) =>
        SYMBOLS.every((symbol) =>
          (
            [
              ['official', expectedInstants(5 * MINUTE, lastOfficial)],
              ['live', expectedInstants(MINUTE, lastLive)],
            ] as const
          ).every(([mode, instants]) =>
            instants.every(
              (t) =>
                rows.some((r) => r.symbol === symbol && r.mode === mode && r.ts === t) ||
                missed.get(`${mode} ${symbol}`)?.includes(t),
            ),
          ),
        );
      // Every expected instant ends as a row or a recorded miss, however long the loaded machine
      // takes: an instant nobody predicted is recorded by the catch-up sweep once it leaves the
      // catch-up window. So wait for that, but no longer than the window plus a margin in replay time,
      // after which the assertions below show what is missing instead of a hang.
      const giveUpAt = lastOfficial + OFFICIAL_CATCHUP + 15 * MINUTE;
      await waitFor(async () => {
        const rows = await grouped();
        return accounted(rows, await missedInstants(rows)) || replay.now() > giveUpAt ? true : undefined;
      });

      const rows = await grouped();
      const missed = await missedInstants(rows);
      for (const r of rows) expect(r.n, `${r.mode} ${r.symbol} ${new Date(r.ts).toISOString()}`).toBe(1);
      let missedCount = 0;
      for (const symbol of SYMBOLS) {
        for (const [mode, instants] of [
          ['official', expectedInstants(5 * MINUTE, lastOfficial)],
          ['live', expectedInstants(MINUTE, lastLive)],
        ] as const) {
          const recordedMissed = missed.get(`${mode} ${symbol}`) ?? [];
          missedCount += recordedMissed.length;
          // Each instant once: a row, or a miss recorded once, never both.
          expect(new Set(recordedMissed).size, `${mode} ${symbol}: a miss recorded twice`).toBe(
            recordedMissed.length,
          );
          const written = rows.filter((r) => r.symbol === symbol && r.mode === mode).map((r) => r.ts);
          for (const t of instants) {
            const outcome = [written.includes(t) ? 'row' : '', recordedMissed.includes(t) ? 'missed' : '']
              .filter(Boolean)
              .join('+');
            expect(outcome, `${mode} ${symbol} ${new Date(t).toISOString()}`).toMatch(/^(row|missed)$/);
          }
        }
      }
      console.log(
        `[predictor-test] ${rows.length} rows, ${missedCount} instants recorded as missed: ${((Date.now() - t0) / 1000).toFixed(1)} s`,
      );
    }, 300_000);

    it('each official row equals an offline recomputation from the source files', async () => {
      const model = await loadRegimeModel(modelDir);
      const warmup = historyWarmup();
      const official = await db.query<Record<string, number | string>>(
        `SELECT * FROM ${tables.predictions} WHERE mode = 'official' AND ts >= $1 ORDER BY ts`,
        [new Date(FROM).toISOString()],
      );
      expect(official.length).toBeGreaterThan(0);
      // The candles known at t, read from the source files rather than from QuestDB.
      const inputAt = (symbol: string, t: number) => {
        const history = {} as Record<'5m' | '15m' | '1h', Candle[]>;
        for (const interval of ['5m', '15m', '1h'] as const) {
          const ms = INTERVAL_MS[interval];
          history[interval] = readKlineFiles(sharedKlinesDir(), symbol, interval, {
            from: t - (warmup[interval] + 2) * ms,
            to: t,
          }).filter((c) => closesAt(interval, c.openTime) <= t);
        }
        return modelInputAt(history, t, model.metadata.labeler.params);
      };
      const expected: RegimePrediction[] = [];
      for (const row of official) {
        const asOf = row.ts as number;
        // The written regime reads the windows at T − j × spacing, as the predictor does.
        const instants = decisionInstants(model, asOf);
        const answers = await model.predict(instants.map((t) => inputAt(row.symbol as string, t)));
        expected.push(decidePrediction(model.decision, answers));
      }
      official.forEach((row, i) => {
        const want = expected[i]!;
        expect(row.regime, `${row.symbol} ${new Date(row.ts as number).toISOString()}`).toBe(want.regime);
        expect(row.model_version).toBe(model.version);
        for (const id of REGIMES) expect(row[`p_${id}`] as number).toBeCloseTo(want.probabilities[id], 6);
      });
      model.dispose();
    });
  },
);
