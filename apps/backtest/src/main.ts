import { ConfigError, createLogger } from '@regime/service';
import { CommanderError } from 'commander';
import { backtestCommand } from './cli.ts';
import { type BacktestFlags, BadInputError, parseFlags } from './config.ts';
import { progressReporter } from './progress.ts';
import { DEFAULT_WORKERS, runFromConfig } from './run.ts';
import { renderSummary } from './summary.ts';

/** Exit codes: 0 done, 1 the run failed, 2 bad input (flags, environment, model artifact, empty period). */
const BAD_INPUT = 2;

const logger = createLogger('backtest');
const command = backtestCommand().exitOverride();

async function main(): Promise<number> {
  try {
    command.parse(process.argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end here too, with exit code 0; commander printed the problem otherwise.
      return error.exitCode === 0 ? 0 : BAD_INPUT;
    }
    throw error;
  }
  const config = parseFlags(command.opts<BacktestFlags>(), DEFAULT_WORKERS);
  const outcome = await runFromConfig(config, logger, progressReporter(logger));
  process.stdout.write(renderSummary(outcome));
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: Error) => {
    if (error instanceof BadInputError || error instanceof ConfigError) {
      console.error(`backtest: ${error.message}`);
      process.exitCode = BAD_INPUT;
    } else {
      console.error(`backtest failed: ${error.stack ?? error.message}`);
      process.exitCode = 1;
    }
  },
);
