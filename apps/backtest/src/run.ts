import { availableParallelism } from 'node:os';
import type { RegimeModel } from '@regime/model';
import { type CandleSource, fileCandleSource, questDbCandleSource } from '@regime/model/candle-source';
import { BacktestEquityTable, DEFAULT_TABLES } from '@regime/questdb';
import { type Logger, loadConfig } from '@regime/service';
import { type BacktestResult, type PredictSymbol, runBacktest } from './backtest.ts';
import { type BacktestConfig, envSchema } from './config.ts';
import { equityRows, runName } from './equity-rows.ts';
import { openModel } from './model-artifact.ts';
import { predictionPool } from './prediction-pool.ts';
import type { Progress } from './progress.ts';
import { writeReport } from './report.ts';
import { loadStrategies } from './strategies/index.ts';
import { walkForwardPredictions } from './walk-forward.ts';

export const DEFAULT_WORKERS = availableParallelism();

export interface BacktestOutcome {
  result: BacktestResult;
  files: string[];
  run?: string;
  seconds: number;
}

/** The whole CLI run for a validated config: model, candles, backtest, report, optional QuestDB rows. */
export async function runFromConfig(
  config: BacktestConfig,
  log: Logger,
  progress: Progress,
): Promise<BacktestOutcome> {
  const started = performance.now();
  const env = loadConfig(envSchema);
  const questdb = { httpUrl: env.QUESTDB_HTTP, pgUrl: env.QUESTDB_PG_URL };
  const model: RegimeModel = await openModel(config.modelDir);
  const strategies = await loadStrategies();
  let source: CandleSource | undefined;
  const pool =
    config.workers > 1 ? predictionPool(config.workers, config.modelDir, config.batchSize) : undefined;
  try {
    source =
      config.candles.kind === 'files'
        ? fileCandleSource(config.candles.dir)
        : await questDbCandleSource(questdb, { ...DEFAULT_TABLES, klines: env.KLINES_TABLE });
    const predict: PredictSymbol =
      pool?.predict ??
      ((_symbol, history, instants, onProgress) =>
        walkForwardPredictions(model, history, instants, { batchSize: config.batchSize, onProgress }));
    log.info(
      { model: model.version, symbols: config.symbols, workers: config.workers, source: source.description },
      `backtesting ${config.symbols.join(', ')} with model ${model.version}`,
    );
    const costs = { feeBps: config.feeBps, slippageBps: config.slippageBps };
    const result = await runBacktest({
      symbols: config.symbols,
      from: config.from,
      to: config.to,
      costs,
      source,
      predict,
      strategies,
      onProgress: (p) => progress.update(p),
    });
    progress.stop();
    const seconds = (performance.now() - started) / 1000;
    const files = await writeReport(
      result,
      {
        model: { version: model.version, labelerVersion: model.metadata.labeler.version },
        source: source.description,
        costs,
        strategies,
        seconds,
      },
      config.out,
    );
    let run: string | undefined;
    if (config.writeQuestDb) {
      run = runName(model.version, config.from, config.to, costs);
      const table = await BacktestEquityTable.connect(questdb, env.BACKTEST_EQUITY_TABLE);
      try {
        await table.write(equityRows(result, run, model.version, Date.now()));
      } finally {
        await table.close();
      }
      log.info({ run, table: table.table }, `wrote the equity curves to ${table.table} as run ${run}`);
    }
    return { result, files, ...(run ? { run } : {}), seconds };
  } finally {
    progress.stop();
    await pool?.close();
    await source?.close();
    model.dispose();
  }
}
