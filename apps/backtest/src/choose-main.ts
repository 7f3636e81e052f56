import { writeFile } from 'node:fs/promises';
import { ConfigError, createLogger } from '@regime/service';
import { Command, CommanderError } from 'commander';
import { assertNotTest, choiceStrategies, chooseParameters } from './choose.ts';
import { BadInputError, parseFlags } from './config.ts';
import { PARAMETERS_FILE, VALIDATION_PERIOD } from './parameters.ts';
import { progressReporter } from './progress.ts';
import { backtestFromConfig, DEFAULT_WORKERS } from './run.ts';
import { DEFAULT_BATCH_SIZE } from './walk-forward.ts';

/** Exit codes as the backtest's: 0 done, 1 the run failed, 2 bad input. */
const BAD_INPUT = 2;
const day = (t: number) => new Date(t).toISOString().slice(0, 10);

const command = new Command('backtest:choose')
  .configureHelp({ helpWidth: 110 })
  .description(
    [
      'Chooses the strategies’ free parameters on the validation period: vol_target’s volatility target',
      '(its mean exposure matches vol_scaled’s), the dwell k of trend_gated_dwell and vol_scaled_dwell and',
      'the stop multiples of trend_stops_fixed and trend_stops (best Sharpe after costs), each from a grid,',
      'in one walk-forward backtest; writes them with the grids to apps/backtest/parameters.json, which the',
      'strategies read. Refuses any period that overlaps the test period 2025-05-01 … 2025-11-01.',
      '',
      'Exit codes: 0 done, 1 the run failed, 2 bad input.',
    ].join('\n'),
  )
  .option('--data <dir|questdb>', 'candles, as for the backtest (default: ../shared/data/klines)')
  .option('--symbols <list>', 'comma-separated symbols', 'BTCUSDT,ETHUSDT')
  .option('--from <date>', 'first as-of instant', day(VALIDATION_PERIOD.from))
  .option('--to <date>', 'end of the period, exclusive', day(VALIDATION_PERIOD.to))
  .option('--model <dir>', 'model artifact folder (default: the model shipped in packages/model)')
  .option('--fee-bps <n>', 'fee per side, basis points', '10')
  .option('--slippage-bps <n>', 'slippage per side, basis points', '0')
  .option('--out <parameters.json>', 'where to write the parameters', PARAMETERS_FILE.pathname)
  .option('--workers <n>', 'worker threads computing predictions')
  .option('--batch-size <n>', 'feature windows per model call', String(DEFAULT_BATCH_SIZE))
  .exitOverride();

const logger = createLogger('backtest-choose');

async function main(): Promise<number> {
  try {
    command.parse(process.argv);
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : BAD_INPUT;
    throw error;
  }
  const flags = command.opts();
  const config = parseFlags(
    {
      data: flags.data,
      symbols: flags.symbols,
      from: flags.from,
      to: flags.to,
      model: flags.model,
      feeBps: flags.feeBps,
      slippageBps: flags.slippageBps,
      out: flags.out,
      workers: flags.workers,
      batchSize: flags.batchSize,
    },
    DEFAULT_WORKERS,
  );
  assertNotTest(config.from, config.to);
  const { result, model } = await backtestFromConfig(
    config,
    logger,
    progressReporter(logger),
    choiceStrategies(),
    ['model'],
  );
  const parameters = chooseParameters(result, {
    from: new Date(config.from).toISOString(),
    to: new Date(config.to).toISOString(),
    symbols: config.symbols,
    model: model.version,
    feeBps: config.feeBps,
    slippageBps: config.slippageBps,
    command: [
      'npm run backtest:choose',
      ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : []),
    ].join(' '),
    at: new Date().toISOString(),
  });
  await writeFile(config.out, `${JSON.stringify(parameters, null, 2)}\n`);
  process.stdout.write(
    [
      `vol_target: ${parameters.volTarget.annualisedVolatility} annualised (${parameters.volTarget.rule})`,
      `trend_gated_dwell: k = ${parameters.trendGatedDwell.k}; vol_scaled_dwell: k = ${parameters.volScaledDwell.k}`,
      `trend_stops_fixed: ${parameters.trendStopsFixed.multiple} σ; trend_stops tight: ${parameters.trendStops.tightMultiple} σ`,
      `wrote ${config.out}`,
      '',
    ].join('\n'),
  );
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: Error) => {
    if (error instanceof BadInputError || error instanceof ConfigError) {
      console.error(`backtest:choose: ${error.message}`);
      process.exitCode = BAD_INPUT;
    } else {
      console.error(`backtest:choose failed: ${error.stack ?? error.message}`);
      process.exitCode = 1;
    }
  },
);
