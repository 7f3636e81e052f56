/**
 * Predictor benchmark (npm run bench -w @regime/predictor). Needs QuestDB and Redis (npm run stack:up).
 *
 * 1. Throughput: BENCH_SYMBOLS (default 100) symbols × 5 official as-of instants enqueued by one tick →
 *    predictions per second (pg reads of the candles, feature windows, the labeler view, batched model
 *    calls, ILP writes), with the time per prediction of each stage, the CPU per prediction of each
 *    stage, and the memory of this process holding every symbol's history (RSS, V8 heap).
 *    CPU per stage: features, labeler view and model from predictor_stage_seconds_total (process CPU
 *    around their synchronous work, in the run); read and write are asynchronous (pg parsing and the
 *    ILP request run in I/O callbacks), so their CPU is measured after the run by doing the same
 *    operations again one at a time in the then idle process; what is left of the run's CPU is the
 *    job machinery (BullMQ, Redis, scheduling).
 * 2. Candle close → official row queryable: for each sample instant T the candles closing at T are
 *    written (what the collector does at the close); from QuestDB's acknowledgement of that write, a tick
 *    is triggered at once (OFFICIAL_OFFSET_MS = 0 here: the production offset is a deliberate wait on top
 *    of this), and pg is polled every 10 ms until each symbol's row for T is visible. Reported over
 *    every row of every sample; the wait for QuestDB to make the candles visible (WAL apply) is included.
 *
 * Data: BTCUSDT candles from ../shared (a random walk when absent) copied under BENCH_SYMBOLS symbol
 * names, in unique tables and a unique queue, dropped at the end. Model: MODEL_DIR or the shipped model.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { type Candle, closesAt, closeTimeOf, INTERVAL_MS, type Kline } from '@regime/candles';
import { hasSharedKlines, readKlineFiles, sharedKlinesDir } from '@regime/candles/files';
import { FEATURE_INTERVALS, type FeatureInterval, historyWarmup, inputsAsOf } from '@regime/inference';
import { defaultModelDir, REGIMES } from '@regime/model/runtime';
import { createTinyModel } from '@regime/model/tiny-model';
import { type PredictionRow, QuestDb, uniqueTableNames } from '@regime/questdb';
import { type Clock, createLogger, machineLoad } from '@regime/service';
import { CandleCache } from '../src/candle-cache.ts';
import { loadPredictorConfig } from '../src/config.ts';
import { type Predictor, startPredictor } from '../src/predictor.ts';

function benchSymbolCount(): number {
  const raw = process.env.BENCH_SYMBOLS ?? '100';
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 9999)
    throw new Error(`BENCH_SYMBOLS must be a whole number from 1 to 9999, got "${raw}"`);
  return n;
}

const SYMBOLS = Array.from(
  { length: benchSymbolCount() },
  (_, i) => `BENCH${String(i).padStart(4, '0')}USDT`,
);
const STEP = INTERVAL_MS['5m'];
const T0 = Date.UTC(2024, 5, 15, 12, 0);
const THROUGHPUT_INSTANTS = 5;
const LATENCY_SAMPLES = 12;

const MIB = 1024 * 1024;

const log = createLogger('predictor-bench');
log.level = process.env.LOG_LEVEL ?? 'warn';

function randomWalk(interval: FeatureInterval, from: number, to: number): Candle[] {
  const ms = INTERVAL_MS[interval];
  const out: Candle[] = [];
  let price = 60_000;
  for (let t = Math.ceil(from / ms) * ms; t < to; t += ms) {
    const open = price;
    price *= Math.exp(Math.sin(t / 7e6) * 0.002 + Math.cos(t / 3e5) * 0.001);
    const high = Math.max(open, price) * 1.001;
    const low = Math.min(open, price) * 0.999;
    out.push({
      openTime: t,
      open,
      high,
      low,
      close: price,
      volume: 10,
      closeTime: closeTimeOf(interval, t),
      closed: true,
    });
  }
  return out;
}

function sourceCandles(interval: FeatureInterval, from: number, to: number): Candle[] {
  if (hasSharedKlines()) return readKlineFiles(sharedKlinesDir(), 'BTCUSDT', interval, { from, to });
  return randomWalk(interval, from, to);
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

/** MODEL_DIR, else the shipped model, else (before one is trained) a small untrained one of the same shape. */
async function modelDir(): Promise<{ dir: string; cleanup: () => void }> {
  if (process.env.MODEL_DIR) return { dir: process.env.MODEL_DIR, cleanup: () => {} };
  if (existsSync(join(defaultModelDir(), 'metadata.json')))
    return { dir: defaultModelDir(), cleanup: () => {} };
  const dir = mkdtempSync(join(tmpdir(), 'predictor-bench-model-'));
  await createTinyModel(dir);
  console.log(
    'note: no shipped model yet; benchmarking an untrained model of the same input shape (8 LSTM units)',
  );
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** predictor_stage_seconds_total by stage. */
async function stageSeconds(predictor: Predictor): Promise<Record<string, number>> {
  const { values } = await predictor.metrics.stageSeconds.get();
  return Object.fromEntries(values.map((v) => [String(v.labels.stage), v.value]));
}

async function main(): Promise<void> {
  const tables = uniqueTableNames('bench');
  const model = await modelDir();
  const latencyInstants = Array.from(
    { length: LATENCY_SAMPLES },
    (_, k) => T0 + (THROUGHPUT_INSTANTS + k) * STEP,
  );
  const lastInstant = latencyInstants.at(-1)!;
  const config = loadPredictorConfig({
    ...process.env,
    SYMBOLS: SYMBOLS.join(','),
    MODES: 'official',
    KLINES_TABLE: tables.klines,
    PREDICTIONS_TABLE: tables.predictions,
    EVENTS_TABLE: tables.events,
    QUEUE_NAME: `bench-${tables.klines.slice(-12)}`,
    METRICS_PORT: '0',
    OFFICIAL_OFFSET_MS: '0',
    OFFICIAL_CATCHUP_MS: String((THROUGHPUT_INSTANTS + 1) * STEP),
    RETRY_BACKOFF_MS: '20',
    RETRY_ATTEMPTS: '10',
    MODEL_DIR: model.dir,
  });
  const db = await QuestDb.connect(config.questdb, tables);
  await db.ensureSchema();
  let predictor: Predictor | undefined;
  try {
    console.log(
      `writing candles of ${SYMBOLS.length} symbols (${hasSharedKlines() ? 'BTCUSDT from ../shared' : 'random walk'})…; ${machineLoad()}`,
    );
    const warmup = historyWarmup();
    // The candles closing at a latency instant are written at that instant, as the collector would.
    const withheld = new Set(latencyInstants);
    const heldBack: Kline[] = [];
    for (const interval of FEATURE_INTERVALS) {
      const ms = INTERVAL_MS[interval];
      // History for the oldest instant the warm-up tick's catch-up window reaches, and a margin.
      const oldest = T0 - (THROUGHPUT_INSTANTS + 2) * STEP;
      const candles = sourceCandles(interval, oldest - (warmup[interval] + 2) * ms, lastInstant).filter(
        (c) => closesAt(interval, c.openTime) <= lastInstant,
      );
      // A few symbols per write: the bench's own copies must not inflate the memory measured below.
      let rows: Kline[] = [];
      for (const [i, symbol] of SYMBOLS.entries()) {
        const scale = 1 + i / 1000;
        for (const c of candles) {
          const k: Kline = {
            ...c,
            open: c.open * scale,
            high: c.high * scale,
            low: c.low * scale,
            close: c.close * scale,
            symbol,
            interval,
          };
          (withheld.has(closesAt(interval, c.openTime)) ? heldBack : rows).push(k);
        }
        if (rows.length >= 100_000 || i === SYMBOLS.length - 1) {
          await db.writeKlines(rows);
          rows = [];
        }
      }
    }
    await db.waitForWal();
    const memoryBefore = process.memoryUsage();

    let now = T0 - STEP;
    const clock: Clock = { now: () => now, close: () => {} };
    predictor = await startPredictor(config, log, { clock });
    const running = predictor;
    const countRows = async (from: number, to: number) =>
      (
        await db.query<{ n: number }>(
          `SELECT count() n FROM ${tables.predictions} WHERE mode = 'official' AND ts >= $1 AND ts <= $2`,
          [new Date(from).toISOString(), new Date(to).toISOString()],
        )
      )[0]!.n;
    // The deadline only stops a hung run: a loaded machine may take long, and that is what is measured.
    const waitRows = async (from: number, to: number, expected: number) => {
      for (const deadline = Date.now() + 600_000; (await countRows(from, to)) < expected; ) {
        if (Date.now() > deadline)
          throw new Error(
            `timed out: ${await countRows(from, to)} of ${expected} rows between ${from} and ${to}`,
          );
        await new Promise((r) => setTimeout(r, 5));
      }
    };
    const tick = () =>
      running.queue.add('tick', { mode: 'official' }, { jobId: `bench-tick-${now}`, removeOnComplete: true });

    // Warm-up: the start-up tick predicts the catch-up window before T0 (JIT, model, connections,
    // and every symbol's start-up fill: its whole history read once).
    const warmupStarted = performance.now();
    await waitRows(
      T0 - (THROUGHPUT_INSTANTS + 1) * STEP,
      T0 - STEP,
      SYMBOLS.length * (THROUGHPUT_INSTANTS + 1),
    );

    console.log(
      `start-up: ${SYMBOLS.length * (THROUGHPUT_INSTANTS + 1)} predictions with every symbol's history read once ` +
        `in ${((performance.now() - warmupStarted) / 1000).toFixed(1)} s; ${machineLoad()}`,
    );

    // 1. Throughput.
    now = T0 + (THROUGHPUT_INSTANTS - 1) * STEP;
    const stagesBefore = await stageSeconds(running);
    const started = performance.now();
    const cpuBefore = process.cpuUsage();
    await tick();
    await waitRows(T0, now, SYMBOLS.length * THROUGHPUT_INSTANTS);
    const seconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    const cpuMsPerPrediction = (cpu.user + cpu.system) / 1000 / (SYMBOLS.length * THROUGHPUT_INSTANTS);
    const batches = (await running.metrics.batchSize.get()).values;
    const batchSum = batches.find((v) => v.metricName?.endsWith('_sum'))?.value ?? 0;
    const batchCount = batches.find((v) => v.metricName?.endsWith('_count'))?.value ?? 1;
    const predictions = SYMBOLS.length * THROUGHPUT_INSTANTS;
    const stagesAfter = await stageSeconds(running);
    const perPrediction = (stage: string) =>
      ((((stagesAfter[stage] ?? 0) - (stagesBefore[stage] ?? 0)) * 1000) / predictions).toFixed(3);
    console.log(
      `throughput: ${predictions} official predictions (${SYMBOLS.length} symbols × ${THROUGHPUT_INSTANTS} instants) ` +
        `in ${seconds.toFixed(2)} s = ${(predictions / seconds).toFixed(0)} predictions/s (target ≥ 100); ` +
        `${(batchSum / batchCount).toFixed(1)} windows per model call on average (CONCURRENCY ${config.concurrency}); ` +
        `this process used ${cpuMsPerPrediction.toFixed(1)} ms CPU per prediction ` +
        `(= ${(1000 / cpuMsPerPrediction).toFixed(0)} predictions/s per fully available core)`,
    );
    console.log(
      `per prediction, by stage: read ${perPrediction('read')} ms wall (concurrent jobs waiting for QuestDB), ` +
        `features ${perPrediction('features')} ms CPU, labeler view ${perPrediction('view')} ms CPU, ` +
        `model + decision ${perPrediction('model')} ms CPU, write ${perPrediction('write')} ms wall per batch row`,
    );
    const memory = process.memoryUsage();
    console.log(
      `memory of this process holding ${SYMBOLS.length} symbols' history (candles and per-symbol caches): ` +
        `RSS ${(memory.rss / MIB).toFixed(0)} MiB (aim ≤ 1536 MiB), V8 heap ${(memory.heapUsed / MIB).toFixed(0)} MiB, ` +
        `array buffers ${(memory.arrayBuffers / MIB).toFixed(0)} MiB; before the predictor started: ` +
        `RSS ${(memoryBefore.rss / MIB).toFixed(0)} MiB, heap ${(memoryBefore.heapUsed / MIB).toFixed(0)} MiB`,
    );
    const stageCpuInRun = (stage: string) =>
      (((stagesAfter[stage] ?? 0) - (stagesBefore[stage] ?? 0)) * 1000) / predictions;

    // 2. Candle close → official row queryable.
    const latencies: number[] = [];
    const lastRow: number[] = [];
    const firstRow: number[] = [];
    for (const t of latencyInstants) {
      now = t;
      const closing = heldBack.filter((k) => closesAt(k.interval, k.openTime) === t);
      // The close as the predictor sees it: the collector's write of the closing candles acknowledged.
      await db.writeKlines(closing);
      const written = performance.now();
      await tick();
      const seen = new Set<string>();
      while (seen.size < SYMBOLS.length) {
        const rows = await db.query<{ symbol: string }>(
          `SELECT symbol FROM ${tables.predictions} WHERE mode = 'official' AND ts = $1`,
          [new Date(t).toISOString()],
        );
        const at = performance.now() - written;
        for (const r of rows) {
          if (!seen.has(r.symbol)) {
            seen.add(r.symbol);
            latencies.push(at);
          }
        }
        if (at > 60_000) throw new Error(`rows for ${new Date(t).toISOString()} did not appear within 60 s`);
        if (seen.size < SYMBOLS.length) await new Promise((r) => setTimeout(r, 10));
      }
      lastRow.push(performance.now() - written);
      firstRow.push(Math.min(...latencies.slice(-SYMBOLS.length)));
    }
    latencies.sort((a, b) => a - b);
    lastRow.sort((a, b) => a - b);
    firstRow.sort((a, b) => a - b);
    const metrics = await running.metrics.registry.getSingleMetricAsString('predictor_jobs_failed_total');
    const retries = [...metrics.matchAll(/ (\d+)$/gm)].reduce((n, m) => n + Number(m[1]), 0);
    console.log(
      `candle close → official row queryable (${SYMBOLS.length} symbols × ${LATENCY_SAMPLES} closes, tick at the close): ` +
        `p50 ${percentile(latencies, 0.5).toFixed(0)} ms, p99 ${percentile(latencies, 0.99).toFixed(0)} ms ` +
        `(target p50 < 300 ms); first row of a close: p50 ${percentile(firstRow, 0.5).toFixed(0)} ms; ` +
        `all ${SYMBOLS.length} rows of a close: p50 ${percentile(lastRow, 0.5).toFixed(0)} ms, ` +
        `max ${lastRow.at(-1)!.toFixed(0)} ms; ${retries} attempts retried (candle not visible yet)`,
    );

    // 3. CPU of the read and write stages, one operation at a time in the now idle process.
    const readCpu = await readStageCpu(db, SYMBOLS, warmup);
    const writeCpu = await writeStageCpu(db, SYMBOLS, Math.max(1, Math.round(batchSum / batchCount)));
    const inRun = {
      features: stageCpuInRun('features'),
      view: stageCpuInRun('view'),
      model: stageCpuInRun('model'),
    };
    const rest = cpuMsPerPrediction - inRun.features - inRun.view - inRun.model - readCpu - writeCpu;
    console.log(
      `CPU per prediction, by stage (${SYMBOLS.length} symbols): read ${readCpu.toFixed(3)} ms ` +
        `(pg query + parse + cache + inputsAsOf, measured alone), features ${inRun.features.toFixed(3)} ms, ` +
        `labeler inputs (view) ${inRun.view.toFixed(3)} ms, model + decision ${inRun.model.toFixed(3)} ms, ` +
        `write ${writeCpu.toFixed(3)} ms (ILP, measured alone), job machinery (BullMQ, Redis, rest) ` +
        `${rest.toFixed(3)} ms; total ${cpuMsPerPrediction.toFixed(3)} ms (target ≤ 1 ms); ${machineLoad()}`,
    );
  } finally {
    // Leave nothing behind in the shared QuestDB and Redis, also after a failure.
    await predictor?.queue.obliterate({ force: true }).catch(() => {});
    await predictor?.close().catch(() => {});
    await db.dropTables().catch(() => {});
    await db.close();
    model.cleanup();
  }
}

/** CPU of this process in ms since `before`. */
function cpuMsSince(before: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000;
}

/**
 * The read stage's CPU per prediction: a fresh cache is filled for the instant before T0 (the
 * start-up fill, not counted), then the throughput phase's 5 instants are read one after the other
 * per symbol (incremental reads of the newest rows) and picked by inputsAsOf. Sequential, so the
 * process's CPU is the reads' CPU; each instant reads its own new rows (in the concurrent run one
 * read may serve several instants, so this is if anything an overestimate).
 */
async function readStageCpu(
  db: QuestDb,
  symbols: readonly string[],
  warmup: Record<FeatureInterval, number>,
): Promise<number> {
  const cache = new CandleCache(db, warmup);
  for (const symbol of symbols) await cache.recent(symbol, T0 - STEP);
  const before = process.cpuUsage();
  for (const symbol of symbols) {
    for (let k = 0; k < THROUGHPUT_INSTANTS; k++) {
      const asOf = T0 + k * STEP;
      inputsAsOf(await cache.recent(symbol, asOf, 'official'), 'official', asOf, warmup);
    }
  }
  return cpuMsSince(before) / (symbols.length * THROUGHPUT_INSTANTS);
}

/** The write stage's CPU per row: rows like the predictor's, in batches of the run's mean size (ILP, acknowledged). */
async function writeStageCpu(db: QuestDb, symbols: readonly string[], batch: number): Promise<number> {
  // Instants far before the bench's, so no count above sees them.
  const base = T0 - 30 * 86_400_000;
  const rows: PredictionRow[] = [];
  for (let k = 0; k < THROUGHPUT_INSTANTS; k++) {
    for (const symbol of symbols) {
      const probabilities = Object.fromEntries(REGIMES.map((id) => [id, 1 / REGIMES.length]));
      rows.push({
        ts: base + k * STEP,
        symbol,
        mode: 'official',
        regime: REGIMES[0]!,
        confidence: 1 / REGIMES.length,
        probabilities: probabilities as PredictionRow['probabilities'],
        modelVersion: 'bench',
        latencyMs: 100,
        createdAt: base + k * STEP + 100,
      });
    }
  }
  const before = process.cpuUsage();
  for (let i = 0; i < rows.length; i += batch) await db.writePredictions(rows.slice(i, i + batch));
  return cpuMsSince(before) / rows.length;
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
