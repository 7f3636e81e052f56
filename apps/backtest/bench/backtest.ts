/**
 * Backtest benchmark (npm run bench -w @regime/backtest): the target run, 6 months × 2 symbols
 * (BTCUSDT, ETHUSDT, 2025-05-01 to 2025-11-01) from ../shared with the shipped model, every instant
 * predicted on the predictor's path with batched model calls on one worker thread per symbol. Prints
 * wall time, CPU time of the whole process (all threads), instants per second and the load average,
 * because this machine is shared: wall time under load says little without it. Target < 120 s.
 * Model: MODEL_DIR or the shipped model; skipped (exit 0, with the reason) when that artifact is of
 * another labeler version than this build's (it is refused until retrained).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { hasSharedKlines, sharedKlinesDir } from '@regime/candles/files';
import { defaultModelDir } from '@regime/model/runtime';
import { createLogger, machineLoad } from '@regime/service';
import { BadInputError, parseFlags } from '../src/config.ts';
import { assertLabelerVersion } from '../src/model-artifact.ts';
import { runFromConfig } from '../src/run.ts';

const TARGET_SECONDS = 120;

if (!hasSharedKlines()) {
  console.log(`backtest bench skipped: no candle files at ${sharedKlinesDir()}`);
  process.exit(0);
}
const modelDir = process.env.MODEL_DIR ?? defaultModelDir();
try {
  await assertLabelerVersion(modelDir);
} catch (error) {
  if (!(error instanceof BadInputError)) throw error;
  console.log(`backtest bench skipped: ${error.message}`);
  process.exit(0);
}
const log = createLogger('backtest-bench');
log.level = 'warn';
const out = mkdtempSync(join(tmpdir(), 'backtest-bench-'));
const config = parseFlags(
  {
    data: sharedKlinesDir(),
    symbols: 'BTCUSDT,ETHUSDT',
    from: '2025-05-01',
    to: '2025-11-01',
    feeBps: '10',
    slippageBps: '0',
    out: join(out, 'REPORT.md'),
    model: modelDir,
    batchSize: '256',
  },
  availableParallelism(),
);
const loadBefore = machineLoad();
const cpuBefore = process.cpuUsage();
const started = performance.now();
try {
  const outcome = await runFromConfig(config, log, { update() {}, stop() {} });
  const wall = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const instants = outcome.result.instants * outcome.result.symbols.length;
  const s = outcome.result.seconds;
  console.log(
    `backtest bench — 2 symbols × 6 months (${instants} as-of instants), ${config.workers} workers on ${availableParallelism()} cores`,
  );
  console.log(
    `  wall ${wall.toFixed(1)} s (target < ${TARGET_SECONDS} s: ${wall < TARGET_SECONDS ? 'met' : 'NOT met'}); ` +
      `CPU ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s over all threads`,
  );
  console.log(
    `  candles ${s.candles.toFixed(1)} s, predictions ${s.predictions.toFixed(1)} s (${(instants / s.predictions).toFixed(0)} instants/s), strategies ${s.strategies.toFixed(2)} s`,
  );
  console.log(
    `  rows ${Object.keys(outcome.report.strategies).length} (strategies, @causal, @hindsight); report with bootstrap included`,
  );
  console.log(`  ${loadBefore} before, ${machineLoad()} after (1-minute; the machine is shared)`);
} finally {
  rmSync(out, { recursive: true, force: true });
}
