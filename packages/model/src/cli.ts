#!/usr/bin/env node
import { Command } from 'commander';
import { card } from './commands/card.ts';
import { distribution } from './commands/distribution.ts';
import { evaluate } from './commands/evaluate.ts';
import { labels } from './commands/labels.ts';
import { logger, parseStride, parseSymbols, withSourceOptions } from './commands/options.ts';
import { smoke } from './commands/smoke.ts';
import { train } from './commands/train.ts';
import { tune } from './commands/tune.ts';

const program = new Command()
  .name('regime-model')
  .description('Train and evaluate the market-regime LSTM; print the labeler statistics.')
  .showHelpAfterError();

withSourceOptions(
  program
    .command('train')
    .description('build the datasets, train the LSTM and its baselines, write the artifact folder')
    .requiredOption('--config <file>', 'training config (JSON), see packages/model/train.default.json')
    .requiredOption('--out <dir>', 'artifact folder to write')
    .option('--version <name>', 'model version (default: regime-model-<YYYYMMDD-HHMM>-<data hash>)'),
).action((opts) => train(opts));

withSourceOptions(
  program
    .command('evaluate')
    .description(
      'evaluate a model and the baselines on its test period (or --from/--to); write REPORT.md + REPORT.json',
    )
    .requiredOption('--model <dir>', 'artifact folder')
    .requiredOption('--out <report>', 'report path; .md and .json are written')
    .option(
      '--stride <minutes>',
      'minutes between as-of instants (default: the training config test stride)',
      parseStride,
    )
    .option('--expect <report.json>', 'fail unless the data and every metric equal this earlier report'),
).action((opts) => evaluate(opts));

withSourceOptions(
  program
    .command('smoke')
    .description(
      "recompute an artifact's smoke check (a small fixed evaluation) and compare it, or record it with --write",
    )
    .requiredOption('--model <dir>', 'artifact folder')
    .option('--symbol <symbol>', 'symbol of a new smoke check (with --write)', (v) => parseSymbols(v)[0]!)
    .option('--stride <minutes>', 'stride of a new smoke check (with --write)', parseStride)
    .option('--write', 'record the recomputed check in metadata.json'),
).action((opts) => smoke(opts));

withSourceOptions(
  program
    .command('tune')
    .description("tune an artifact's decision bias on its validation period (as train does) and rewrite it")
    .requiredOption('--model <dir>', 'artifact folder'),
).action((opts) => tune(opts));

withSourceOptions(
  program
    .command('distribution')
    .description(
      "recompute an artifact's training input distribution (input-distribution.json, the reference of drift/PSI) from its training split, without retraining",
    )
    .requiredOption('--model <dir>', 'artifact folder')
    .requiredOption(
      '--config <file>',
      'the training config it was trained with, e.g. packages/model/train.default.json',
    )
    .option(
      '--stride <minutes>',
      'minutes between instants, a multiple of the training stride (default: 6 × the training stride)',
      parseStride,
    )
    .option('--force', 'replace an existing input-distribution.json'),
).action((opts) => distribution(opts));

program
  .command('card')
  .description(
    "rebuild the generated part of a model card from the artifact's metadata and an evaluation report",
  )
  .requiredOption('--model <dir>', 'artifact folder')
  .requiredOption('--report <report.json>', 'report written by evaluate')
  .requiredOption('--out <file>', 'model card to create or update, e.g. packages/model/MODEL_CARD.md')
  .action((opts) => card(opts));

withSourceOptions(
  program
    .command('labels')
    .description("labeler 2 on real candles: coverage, mean run, each regime's character (REGIMES.md tables)")
    .option('--settle', 'also measure how often a label changes after it is N hours old')
    .option('--out <file>', 'also write the markdown tables here'),
).action((opts) => labels(opts));

program.parseAsync().catch((error: unknown) => {
  logger.error({ err: error }, error instanceof Error ? error.message : String(error));
  process.exitCode = 1;
});
