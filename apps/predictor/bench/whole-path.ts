/**
 * Whole-path benchmark (npm run bench:path -w @regime/predictor). Needs QuestDB, Redis and
 * ../shared/data/klines (BTCUSDT).
 *
 * replay exchange (BTCUSDT and BENCH_SYMBOLS − 1 copies of it, at BENCH_SPEED×) → collector (this
 * process) → QuestDB → one predictor as its own process (apps/predictor/src/main.ts, CLOCK=exchange,
 * official and live). History before the replay's start is written first (what the backfill does).
 * Once the predictor has caught up (a row for every symbol at the newest official instant), the
 * next BENCH_MINUTES virtual minutes are measured:
 * - candle close → row: `latency_ms` of each row (from its instant T, when the candles closing at T
 *   close, to the row's write being acknowledged, on the exchange clock) divided by the speed-up,
 *   i.e. in wall ms; official and live apart. Not counted: the wait for QuestDB to make the row
 *   visible (WAL apply), which the predictor bench's "queryable" latency includes;
 * - instants missed: due (symbol, mode, T) with no row, and pipeline_events rows of the predictor;
 * - the predictor process's CPU per row (/proc/<pid>/stat) and its peak RSS (/proc/<pid>/status).
 * Offsets are 0 and ticks every 50 wall ms: what is measured is the pipeline, not a deliberate wait.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { closesAt, INTERVAL_MS, type Interval } from '@regime/candles';
import { hasSharedKlines, readKlineFiles, sharedKlinesDir } from '@regime/candles/files';
import { Collector } from '@regime/collector';
import { historyWarmup } from '@regime/inference';
import { QuestDb, questDbConfigFromEnv, uniqueTableNames } from '@regime/questdb';
import { copyNames, startReplayExchange } from '@regime/replay-exchange';
import { createLogger, machineLoad } from '@regime/service';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';

const MINUTE = 60_000;
const STEP = 5 * MINUTE;
const INTERVALS: Interval[] = ['5m', '15m', '1h'];
const FROM = Date.UTC(2024, 5, 15, 12, 0);
/** Catch-up windows (virtual): the start-up predicts at most this far back. */
const CATCHUP = 15 * MINUTE;
const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

function envInt(name: string, fallback: number, min: number, max: number): number {
  const raw = process.env[name] ?? String(fallback);
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new Error(`${name} must be a whole number from ${min} to ${max}, got "${raw}"`);
  return n;
}

const sleep = (ms: number) => new Promise((ok) => setTimeout(ok, ms));

function percentile(sorted: number[], p: number): number {
  return sorted.length === 0
    ? Number.NaN
    : sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

/** utime + stime of a process, in ms (Linux). */
function processCpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

function processRssMiB(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmRSS:'));
  return Number(line?.split(/\s+/)[1] ?? 0) / 1024;
}

async function main(): Promise<void> {
  if (!hasSharedKlines()) throw new Error(`no candle files at ${sharedKlinesDir()}: this bench replays them`);
  const symbolCount = envInt('BENCH_SYMBOLS', 100, 1, 1000);
  const minutes = envInt('BENCH_MINUTES', 30, 5, 24 * 60);
  const speed = envInt('BENCH_SPEED', 2, 1, 600);
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const symbols = ['BTCUSDT', ...copyNames(['BTCUSDT'], symbolCount - 1).keys()];
  const log = createLogger('whole-path-bench');
  log.level = process.env.LOG_LEVEL ?? 'warn';
  const tables = uniqueTableNames('path');
  const queueName = `path-bench-${tables.klines.slice(-12)}`;
  const db = await QuestDb.connect(questDbConfigFromEnv(), tables);
  await db.ensureSchema();
  let child: ChildProcess | undefined;
  let collector: Collector | undefined;
  let replay: Awaited<ReturnType<typeof startReplayExchange>> | undefined;
  try {
    console.log(`writing the history of ${symbolCount} symbols before the replay…; ${machineLoad()}`);
    const warmup = historyWarmup();
    for (const interval of INTERVALS) {
      const ms = INTERVAL_MS[interval];
      const from = FROM - CATCHUP - (warmup[interval as '5m'] + 10) * ms;
      const candles = readKlineFiles(sharedKlinesDir(), 'BTCUSDT', interval, { from, to: FROM }).filter(
        (c) => closesAt(interval, c.openTime) <= FROM,
      );
      for (let i = 0; i < symbols.length; i += 5) {
        await db.writeKlines(
          symbols.slice(i, i + 5).flatMap((symbol) => candles.map((c) => ({ ...c, symbol, interval }))),
        );
      }
    }
    await db.waitForWal();

    replay = await startReplayExchange({
      dataDir: sharedKlinesDir(),
      symbols: ['BTCUSDT'],
      copies: symbolCount - 1,
      intervals: INTERVALS,
      from: FROM,
      speed,
    });
    collector = await Collector.start(
      {
        symbols,
        intervals: INTERVALS,
        restUrl: replay.restUrl,
        wsUrl: replay.wsUrl,
        liveFlushMs: 1000,
        lookbackMs: 3_600_000,
      },
      { db, logger: log },
    );
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      SYMBOLS: symbols.join(','),
      QUEUE_NAME: queueName,
      KLINES_TABLE: tables.klines,
      PREDICTIONS_TABLE: tables.predictions,
      EVENTS_TABLE: tables.events,
      METRICS_PORT: '0',
      CLOCK: 'exchange',
      BINANCE_REST_URL: replay.restUrl,
      TIME_SCALE: String(speed),
      CLOCK_POLL_MS: '500',
      REDIS_URL: redisUrl,
      TICK_MS: '50',
      OFFICIAL_OFFSET_MS: '0',
      LIVE_OFFSET_MS: '0',
      OFFICIAL_CATCHUP_MS: String(CATCHUP),
      LIVE_CATCHUP_MS: String(CATCHUP),
      RETRY_BACKOFF_MS: '50',
      RETRY_ATTEMPTS: '12',
      LOG_PRETTY: '0',
      LOG_LEVEL: 'warn',
    };
    child = spawn(process.execPath, ['--import', 'tsx', 'apps/predictor/src/main.ts'], {
      cwd: repoRoot,
      env,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const pid = child.pid!;
    child.once('exit', (code, signal) => {
      if (!stopping) {
        console.error(`the predictor process stopped (${code ?? signal})`);
        process.exit(1);
      }
    });
    let peakRss = 0;
    const rssTimer = setInterval(() => {
      peakRss = Math.max(peakRss, processRssMiB(pid));
    }, 1000);

    const rowsAt = async (mode: string, t: number) =>
      (
        await db.query<{ n: number }>(
          `SELECT count() n FROM ${tables.predictions} WHERE mode = $1 AND ts = $2`,
          [mode, new Date(t).toISOString()],
        )
      )[0]!.n;
    // Caught up: every symbol has its official row for the newest 5-minute instant passed. A
    // predictor that cannot keep up at this speed never gets there: say so after 30 wall minutes.
    const caughtUpStarted = Date.now();
    let start: number;
    for (;;) {
      if (Date.now() - caughtUpStarted > 30 * MINUTE) {
        const [done] = await db.query<{ n: number }>(`SELECT count() n FROM ${tables.predictions}`);
        throw new Error(
          `the predictor did not catch up within 30 minutes at ${speed}× (${done!.n} rows written, ` +
            `virtual time ${new Date(replay.now()).toISOString()}): try a lower BENCH_SPEED; ${machineLoad()}`,
        );
      }
      const newest = Math.floor(replay.now() / STEP) * STEP - STEP;
      if (newest >= FROM && (await rowsAt('official', newest)) === symbolCount) {
        start = newest + STEP;
        break;
      }
      await sleep(500);
    }
    console.log(
      `predictor caught up after ${((Date.now() - caughtUpStarted) / 1000).toFixed(0)} s wall; measuring ` +
        `${minutes} virtual minutes from ${new Date(start).toISOString()} at ${speed}×; ${machineLoad()}`,
    );
    const cpuBefore = processCpuMs(pid);
    const end = start + minutes * MINUTE;
    const loads: number[] = [];
    while (replay.now() < end + 2 * MINUTE) {
      loads.push(Number(machineLoad().split(' ')[2]));
      await sleep(2000);
    }
    // The last instants' rows: given a virtual minute more, then everything is counted.
    await db.waitForWal();
    const cpuMs = processCpuMs(pid) - cpuBefore;
    clearInterval(rssTimer);
    const rows = await db.query<{ mode: string; latency_ms: number; ts: number }>(
      `SELECT mode, latency_ms, ts FROM ${tables.predictions} WHERE ts >= $1 AND ts < $2`,
      [new Date(start).toISOString(), new Date(end).toISOString()],
    );
    // Misses the predictor recorded for instants of the measured window (MissedRecorder's detail:
    // "<mode> as of <T>: why" or "<mode> as of <first> .. <last> (<n> instants): why"), by reason.
    const eventRows = await db.query<{ kind: string; detail: string }>(
      `SELECT kind, detail FROM ${tables.events} WHERE service = 'predictor'`,
    );
    const missedByReason = new Map<string, number>();
    for (const e of eventRows) {
      const m = /^(official|live) as of (\S+?)(?: \.\. (\S+) \(\d+ instants\))?: (\w+)?/.exec(e.detail);
      if (!m) continue;
      const step = m[1] === 'official' ? STEP : MINUTE;
      const first = Date.parse(m[2]!);
      const last = m[3] ? Date.parse(m[3]) : first;
      let inWindow = 0;
      for (let t = first; t <= last; t += step) if (t >= start && t < end) inWindow++;
      if (inWindow > 0)
        missedByReason.set(`${m[1]} ${e.kind}`, (missedByReason.get(`${m[1]} ${e.kind}`) ?? 0) + inWindow);
    }
    const events = [...missedByReason].map(([kind, n]) => ({ kind, n }));
    const report = (mode: 'official' | 'live') => {
      const step = mode === 'official' ? STEP : MINUTE;
      const due = (Math.ceil((end - start) / step) * symbolCount) | 0;
      const own = rows.filter((r) => r.mode === mode);
      const wall = own.map((r) => r.latency_ms / speed).sort((a, b) => a - b);
      return (
        `${mode}: ${own.length} rows of ${due} due, ${due - own.length} missing; close → row written ` +
        `p50 ${percentile(wall, 0.5).toFixed(0)} ms, p99 ${percentile(wall, 0.99).toFixed(0)} ms, ` +
        `max ${(wall.at(-1) ?? Number.NaN).toFixed(0)} ms wall`
      );
    };
    console.log(
      `whole path, ${symbolCount} symbols, ${minutes} virtual minutes at ${speed}×: ${report('official')} ` +
        `(target p50 ≤ 300, p99 ≤ 1000); ${report('live')} (target p99 ≤ 2000)`,
    );
    console.log(
      `instants of the window recorded as missed by the predictor: ${events.map((e) => `${e.kind} ${e.n}`).join(', ') || 'none'}; ` +
        `predictor process: ${(cpuMs / Math.max(1, rows.length)).toFixed(2)} ms CPU per row ` +
        `(${rows.length} rows), peak RSS ${peakRss.toFixed(0)} MiB (aim ≤ 1536); load average during the run ` +
        `${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)}; ${machineLoad()}`,
    );
  } finally {
    stopping = true;
    child?.kill('SIGKILL');
    // Leave nothing behind in the shared Redis: the queue and the predictor's missed-instant marks.
    const queue = new Queue(queueName, { connection: { url: redisUrl } });
    await queue.obliterate({ force: true }).catch(() => {});
    await queue.close();
    const redis = new Redis(redisUrl);
    const marks = await redis.keys(`regime-predictor:${queueName}:*`);
    if (marks.length > 0) await redis.del(...marks);
    redis.disconnect();
    await collector?.stop().catch(() => {});
    await replay?.close().catch(() => {});
    await db.dropTables().catch(() => {});
    await db.close();
  }
}

let stopping = false;

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
