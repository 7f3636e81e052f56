import { availableParallelism } from 'node:os';
import { type CandleSource, fileCandleSource, questDbCandleSource } from '@regime/model/candle-source';
import type { RegimeModel } from '@regime/model/runtime';
import { BacktestEquityTable, DEFAULT_TABLES } from '@regime/questdb';
import { type Logger, loadConfig } from '@regime/service';
import { type BacktestResult, type PredictSymbol, runBacktest } from './backtest.ts';
import { type BacktestConfig, envSchema } from './config.ts';
import { equityRows, runName } from './equity-rows.ts';
import { openModel } from './model-artifact.ts';
import { PARAMETERS } from './parameters.ts';
import { predictionPool } from './prediction-pool.ts';
import type { Progress } from './progress.ts';
import type { RegimeSource } from './regime-sources.ts';
import { type BacktestReport, writeReport } from './report.ts';
import { loadStrategies } from './strategies/index.ts';
import type { Strategy } from './strategy.ts';
import { walkForwardPredictions } from './walk-forward.ts';

export const DEFAULT_WORKERS = availableParallelism();

export interface BacktestOutcome {
  result: BacktestResult;
  report: BacktestReport;
  files: string[];
  run?: string;
  seconds: number;
}

/** A finished backtest and what it ran on. */
export interface LoadedBacktest {
  result: BacktestResult;
  model: { version: string; labelerVersion: string };
  source: string;
}

/**
 * Model, candles and the walk-forward backtest of `strategies` for a validated config (shared by the
 * backtest and the parameter chooser); the model, the workers and the candle source are closed after.
 */
export async function backtestFromConfig(
  config: BacktestConfig,
  log: Logger,
  progress: Progress,
  strategies: readonly Strategy[],
  sources?: readonly RegimeSource[],
): Promise<LoadedBacktest> {
  const env = loadConfig(envSchema);
  const questdb = { httpUrl: env.QUESTDB_HTTP, pgUrl: env.QUESTDB_PG_URL };
  const model: RegimeModel = await openModel(config.modelDir);
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
    const result = await runBacktest({
      symbols: config.symbols,
      from: config.from,
      to: config.to,
      costs: { feeBps: config.feeBps, slippageBps: config.slippageBps },
      source,
      predict,
      strategies,
      ...(sources ? { sources } : {}),
      labelerParams: model.metadata.labeler.params,
      onProgress: (p) => progress.update(p),
    });
    return {
      result,
      model: { version: model.version, labelerVersion: model.metadata.labeler.version },
      source: source.description,
    };
  } finally {
    progress.stop();
    await pool?.close();
    await source?.close();
    model.dispose();
  }
}

/** The whole CLI run for a validated config: model, candles, backtest, report, optional QuestDB rows. */
export async function runFromConfig(
  config: BacktestConfig,
  log: Logger,
  progress: Progress,
): Promise<BacktestOutcome> {
  const started = performance.now();
  const { result, model, source } = await backtestFromConfig(config, log, progress, await loadStrategies());
  const costs = { feeBps: config.feeBps, slippageBps: config.slippageBps };
  const seconds = (performance.now() - started) / 1000;
  const { report, files } = await writeReport(
    result,
    { model, source, costs, parameters: PARAMETERS, seconds },
    config.out,
  );
  let run: string | undefined;
  if (config.writeQuestDb) {
    const env = loadConfig(envSchema);
    run = runName(model.version, config.from, config.to, costs);
    const table = await BacktestEquityTable.connect(
      { httpUrl: env.QUESTDB_HTTP, pgUrl: env.QUESTDB_PG_URL },
      env.BACKTEST_EQUITY_TABLE,
    );
    try {
      await table.write(equityRows(result, run, model.version, Date.now()));
    } finally {
      await table.close();
    }
    log.info({ run, table: table.table }, `wrote the equity curves to ${table.table} as run ${run}`);
  }
  return { result, report, files, ...(run ? { run } : {}), seconds };
}
