import type { Candle, Kline } from '@regime/candles';
import { hasSharedKlines, readKlineFiles, sharedKlinesDir } from '@regime/candles/files';
import {
  closeLookup,
  DEFAULT_LABELER_PARAMS,
  LABELER_VERSION,
  settledLabel,
  settleWindow,
} from '@regime/labeler';
import {
  type OutcomeRow,
  OutcomeStore,
  type PredictionRow,
  QuestDb,
  questDbConfigFromEnv,
  REGIME_IDS,
  type RegimeId,
  uniqueTableNames,
} from '@regime/questdb';
import { createLogger } from '@regime/service';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadScorerConfig, type ScorerConfig } from '../src/config.ts';
import { next4hOf } from '../src/score.ts';
import { type Scorer, startScorer } from '../src/scorer.ts';
import { runScoreTick, type SymbolTick, type TickContext } from '../src/tick.ts';

/**
 * The scorer against the real QuestDB and Redis, on real BTCUSDT candles from ../shared: official
 * predictions over ten hours, "now" fixed eight hours after the first. Every settled prediction gets
 * exactly the outcome row the settled label of its instant gives on the source files; the others wait;
 * a candle missing from QuestDB leaves the predictions whose window holds it without a row, and once
 * given up on they are reported once in pipeline_events. A second scorer and a forced re-score change
 * nothing.
 */

const SYMBOL = 'BTCUSDT';
const params = DEFAULT_LABELER_PARAMS;
const FIVE_MIN = 300_000;
const HOUR = 3_600_000;
const FIRST = Date.UTC(2025, 2, 10, 0, 5);
const PREDICTIONS = 120;
/** The scorer's clock in phase 1: predictions up to about FIRST + 2 h have settled. */
const NOW = FIRST + 8 * HOUR + 40_000;
/** Absent from QuestDB (an exchange gap): every window holding it has no outcome. */
const HOLE = NOW - 30 * 60_000 - (NOW % FIVE_MIN);
const GIVE_UP = HOUR;
/** Phase 2: the hole has been given up on for the oldest predictions whose window holds it. */
const LATER = NOW + 2 * HOUR;

if (!hasSharedKlines()) {
  console.warn(
    `scorer integration test skipped: no candle files at ${sharedKlinesDir()} (see ../shared/README.md)`,
  );
}

/** Official predictions: right (the settled regime) at even instants, wrong at odd ones. */
function predictionsFor(candles: readonly Candle[]): PredictionRow[] {
  return Array.from({ length: PREDICTIONS }, (_, i) => {
    const ts = FIRST + i * FIVE_MIN;
    const truth = settledLabel(candles, ts, params);
    const realised = truth.kind === 'settled' ? truth.regime : 'range';
    const regime: RegimeId =
      i % 2 === 0 ? realised : REGIME_IDS[(REGIME_IDS.indexOf(realised) + 1 + (i % 5)) % REGIME_IDS.length]!;
    const weights = REGIME_IDS.map((id, k) => (id === regime ? 6 : 1 + ((i + k) % 3)));
    const total = weights.reduce((a, b) => a + b, 0);
    const probabilities = Object.fromEntries(REGIME_IDS.map((id, k) => [id, weights[k]! / total])) as Record<
      RegimeId,
      number
    >;
    return {
      ts,
      symbol: SYMBOL,
      mode: 'official',
      regime,
      confidence: probabilities[regime],
      probabilities,
      modelVersion: `m-${i < 60 ? 1 : 2}`,
      latencyMs: 250,
      createdAt: ts + 250,
    };
  });
}

/** What the outcome of a prediction must be, from the candles QuestDB holds, or undefined if it has none. */
function expectedOutcome(p: PredictionRow, stored: readonly Candle[], now: number): OutcomeRow | undefined {
  const { settledAt } = settleWindow(p.ts, params);
  if (settledAt > now) return undefined;
  const label = settledLabel(stored, p.ts, params);
  if (label.kind !== 'settled') return undefined;
  return {
    ts: p.ts,
    symbol: SYMBOL,
    modelVersion: p.modelVersion,
    predicted: p.regime as RegimeId,
    probabilities: p.probabilities,
    realised: label.regime,
    correct: p.regime === label.regime,
    settledAt,
    labelerVersion: LABELER_VERSION,
    next4h: next4hOf(p.ts, closeLookup(stored)),
  };
}

describe.skipIf(!hasSharedKlines())('scorer against QuestDB and Redis', () => {
  const tables = uniqueTableNames('score');
  const outcomesTable = `regime_outcomes_${tables.klines.slice('klines_'.length)}`;
  const queueName = `scorer-test-${tables.klines.slice(-12)}`;
  let db: QuestDb;
  let store: OutcomeStore;
  let config: ScorerConfig;
  let source: Candle[];
  let stored: Candle[];
  let predictions: PredictionRow[];
  const log = createLogger('scorer-test');

  /** Runs `body` with a scorer whose clock stands at `now`; the scorer is stopped even when body fails. */
  const withScorer = async (now: number, body: (scorer: Scorer) => Promise<void>) => {
    const scorer = await startScorer(config, log, { now: () => now });
    try {
      await body(scorer);
    } finally {
      await scorer.close();
    }
  };

  beforeAll(async () => {
    const window = settleWindow(FIRST, params);
    source = readKlineFiles(sharedKlinesDir(), SYMBOL, '5m', {
      from: window.fromOpenTime,
      to: FIRST + PREDICTIONS * FIVE_MIN + 8 * HOUR,
    });
    // QuestDB holds the closed candles up to NOW, minus the hole.
    stored = source.filter((c) => c.openTime + FIVE_MIN <= NOW && c.openTime !== HOLE);
    expect(stored.length).toBeGreaterThan(window.candles);
    predictions = predictionsFor(source);
    config = loadScorerConfig({
      SYMBOLS: SYMBOL,
      KLINES_TABLE: tables.klines,
      PREDICTIONS_TABLE: tables.predictions,
      EVENTS_TABLE: tables.events,
      OUTCOMES_TABLE: outcomesTable,
      QUEUE_NAME: queueName,
      // The scheduler must not tick on its own during the test: the tests ask for ticks.
      SCORE_EVERY_MS: String(24 * HOUR),
      SCORE_LOOKBACK_MS: String(2 * 24 * HOUR),
      SCORE_GIVE_UP_MS: String(GIVE_UP),
      METRICS_PORT: '0',
    });
    db = await QuestDb.connect(questDbConfigFromEnv(), tables);
    await db.ensureSchema();
    store = await OutcomeStore.open(questDbConfigFromEnv(), db, outcomesTable);
    const klines: Kline[] = stored.map((c) => ({ ...c, symbol: SYMBOL, interval: '5m' }));
    // The hole holds an in-progress version of its candle: it must not count as data.
    const atHole = source.find((c) => c.openTime === HOLE)!;
    klines.push({ ...atHole, symbol: SYMBOL, interval: '5m', closed: false });
    await db.writeKlines(klines);
    await db.writePredictions(predictions);
    await db.writePredictions([{ ...predictions[0]!, mode: 'live', regime: 'squeeze' }]);
    await db.waitForWal();
  }, 120_000);

  afterAll(async () => {
    if (config) {
      const queue = new Queue(queueName, { connection: { url: config.redisUrl } });
      await queue.obliterate({ force: true });
      await queue.close();
    }
    await store?.drop();
    await store?.close();
    await db?.dropTables();
    await db?.close();
  });

  const readAll = () => store.read(SYMBOL, FIRST - HOUR, FIRST + 24 * HOUR);

  it('writes the settled outcome of every settled prediction, and leaves the others waiting', async () => {
    await withScorer(NOW, async (scorer) => {
      const ticks = await scorer.firstTick;
      await store.waitForWal();
      const expected = predictions.map((p) => expectedOutcome(p, stored, NOW)).filter((o) => o !== undefined);
      // Predictions after NOW do not exist yet as far as the scorer can tell.
      const settling = predictions.filter((p) => p.ts <= NOW && settleWindow(p.ts, params).settledAt > NOW);
      // Both kinds exist, and the hole keeps some settled predictions waiting.
      expect(expected.length).toBeGreaterThan(10);
      expect(settling.length).toBeGreaterThan(10);
      const late = predictions.filter((p) => p.ts <= NOW).length - expected.length - settling.length;
      expect(late).toBeGreaterThan(0);
      expect(expected.some((o) => o.correct)).toBe(true);
      expect(expected.some((o) => !o.correct)).toBe(true);

      expect(await readAll()).toEqual(expected);
      expect(ticks).toEqual([
        {
          symbol: SYMBOL,
          written: expected.length,
          settling: settling.length,
          backlog: 0,
          late,
          missed: 0,
          rejected: 0,
          lagMs: expect.any(Number),
        },
      ]);
      // Late predictions settled before NOW: the lag is the age of the oldest one.
      expect(ticks[0]!.lagMs).toBeGreaterThan(0);
      const metrics = await scorer.metrics.registry.metrics();
      expect(metrics).toContain(
        `scorer_predictions_pending{symbol="${SYMBOL}",state="settling"} ${settling.length}`,
      );
      expect(metrics).toContain(`scorer_predictions_pending{symbol="${SYMBOL}",state="late"} ${late}`);
      expect(metrics).toContain(`scorer_outcomes_written_total{symbol="${SYMBOL}"} ${expected.length}`);
      // Within the give-up time nothing is reported yet.
      expect(await db.query(`SELECT * FROM ${tables.events}`)).toEqual([]);
    });
  });

  it('a re-run writes no duplicates and the same values', async () => {
    const before = await readAll();
    await withScorer(NOW, async (scorer) => {
      const ticks = await scorer.firstTick;
      expect(ticks[0]!.written).toBe(0);
      // A forced re-score of everything (as after the outcome table's rows were not visible yet).
      const forced: TickContext = {
        db,
        outcomes: Object.assign(Object.create(store), { scoredInstants: async () => new Set<number>() }),
        queue: scorer.queue,
        symbols: [SYMBOL],
        now: () => NOW,
        params,
        labelerVersion: LABELER_VERSION,
        lookbackMs: 2 * 24 * HOUR,
        giveUpMs: GIVE_UP,
        batchMax: 1000,
        reportJobOptions: {},
      };
      const [again] = await runScoreTick(forced);
      expect(again!.written).toBe(before.length);
      await store.waitForWal();
      expect(await readAll()).toEqual(before);
    });
  });

  it('gives up on windows that stay incomplete, and reports each once in pipeline_events', async () => {
    await withScorer(LATER, async (scorer) => {
      const [tick] = await scorer.firstTick;
      const next = scorer.nextTick();
      await scorer.tickNow();
      const [second] = await next;
      const missed = predictions.filter((p) => {
        const { settledAt } = settleWindow(p.ts, params);
        return settledAt + GIVE_UP <= LATER && expectedOutcome(p, stored, LATER) === undefined;
      });
      expect(missed.length).toBeGreaterThan(0);
      expect(tick!.missed).toBe(missed.length);
      expect(second!.missed).toBe(missed.length);
      // The report jobs run after the tick: wait for them, then for their rows.
      for (let i = 0; i < 200; i++) {
        const counts = await scorer.queue.getJobCounts('completed');
        if ((counts.completed ?? 0) >= missed.length) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      await db.waitForWal();
      const events = await db.query<{ service: string; kind: string; symbol: string; detail: string }>(
        `SELECT service, kind, symbol, detail FROM ${tables.events} ORDER BY detail`,
      );
      expect(events).toHaveLength(missed.length);
      for (const [i, p] of missed.entries()) {
        expect(events[i]).toMatchObject({ service: 'scorer', kind: 'missed_job', symbol: SYMBOL });
        expect(events[i]!.detail).toContain(new Date(p.ts).toISOString());
        expect(events[i]!.detail).toContain(new Date(HOLE).toISOString());
      }
      expect(await scorer.metrics.registry.metrics()).toContain(
        `scorer_predictions_missed_total{symbol="${SYMBOL}"} ${missed.length}`,
      );
      // Still no row for them: an outcome is never made up.
      const rows = await readAll();
      for (const p of missed) expect(rows.some((r) => r.ts === p.ts)).toBe(false);
    });
  });
  it('falling behind: a backlog beyond SCORE_BATCH_MAX shows in /metrics and in pipeline_events', async () => {
    const behind: ScorerConfig = {
      ...config,
      tables: { ...config.tables, outcomes: `${outcomesTable}_b` },
      queueName: `${queueName}-b`,
      batchMax: 5,
    };
    const scorer = await startScorer(behind, log, { now: () => NOW });
    const other = await OutcomeStore.open(questDbConfigFromEnv(), db, behind.tables.outcomes);
    try {
      // The start-up tick may have run before the predictions were back: tick until one scores.
      let tick: SymbolTick[];
      do {
        const next = scorer.nextTick();
        await scorer.tickNow();
        tick = await next;
      } while (tick[0]!.written === 0);
      // Settled by NOW (whether or not their window is complete): the oldest 5 are taken.
      const due = predictions.filter((p) => settleWindow(p.ts, params).settledAt <= NOW).length;
      expect(tick[0]).toMatchObject({ written: 5, backlog: due - 5 });
      expect(tick[0]!.lagMs).toBeGreaterThan(0);
      const text = await (await fetch(`http://127.0.0.1:${scorer.opsPort}/metrics`)).text();
      expect(text).toContain(`scorer_predictions_pending{symbol="${SYMBOL}",state="backlog"} ${due - 5}`);
      await db.waitForWal();
      const events = await db.query<{ kind: string; count: number; symbol: string }>(
        `SELECT kind, count, symbol FROM ${tables.events} WHERE kind = 'backlog'`,
      );
      expect(events).toContainEqual({ kind: 'backlog', count: due - 5, symbol: SYMBOL });
    } finally {
      await scorer.close();
      const queue = new Queue(behind.queueName, { connection: { url: config.redisUrl } });
      await queue.obliterate({ force: true });
      await queue.close();
      await other.drop();
      await other.close();
    }
  });

  it('a failing tick shows in /metrics and in pipeline_events, and the scorer carries on', async () => {
    await withScorer(NOW, async (scorer) => {
      await scorer.firstTick;
      // The predictions table vanishes: every read of it fails.
      await db.query(`DROP TABLE ${tables.predictions}`);
      await scorer.tickNow();
      const metrics = () => fetch(`http://127.0.0.1:${scorer.opsPort}/metrics`).then((r) => r.text());
      // Until the failed tick is counted and recorded, however long a loaded machine takes (the
      // test's timeout bounds a hang).
      let text = '';
      while (!text.includes('scorer_ticks_total{outcome="failed"} 1')) {
        await new Promise((r) => setTimeout(r, 50));
        text = await metrics();
      }
      expect(text).toContain('scorer_ticks_total{outcome="failed"} 1');
      let failed: { service: string; kind: string; detail: string }[] = [];
      while (failed.length === 0) {
        await db.waitForWal().catch(() => {});
        failed = await db.query(
          `SELECT service, kind, detail FROM ${tables.events} WHERE kind = 'job_failed'`,
        );
        if (failed.length === 0) await new Promise((r) => setTimeout(r, 50));
      }
      expect(failed).toHaveLength(1);
      expect(failed[0]).toMatchObject({ service: 'scorer', kind: 'job_failed' });
      expect(failed[0]!.detail).toMatch(/scoring tick failed: .*does not exist/);
      expect((await fetch(`http://127.0.0.1:${scorer.opsPort}/healthz`)).status).toBe(200);
    });
  });
});
