#!/usr/bin/env node
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { parseSymbol } from '@regime/candles';
import { sharedKlinesDir } from '@regime/candles/files';
import type { CandleHistory } from '@regime/features';
import { questDbConfigFromEnv } from '@regime/questdb';
import { createLogger } from '@regime/service';
import { Command, InvalidArgumentError } from 'commander';
import { ARTIFACT_FILES, readArtifact, writeArtifact } from './artifact.ts';
import { type CandleSource, fileCandleSource, questDbCandleSource } from './candle-source.ts';
import { labelerParams, type Period, parseTrainConfig } from './config.ts';
import type { SymbolHistory } from './dataset.ts';
import {
  classShare,
  type EvaluationReport,
  evaluateClassifiers,
  labelStability,
  renderReportMarkdown,
} from './evaluate.ts';
import { labelReport, settleCurve } from './label-report.ts';
import { SeriesLabeler } from './label-series.ts';
import { DEFAULT_LABELER_PARAMS, LABELER_VERSION } from './labeler.ts';
import { renderCardFacts, updateCard } from './model-card.ts';
import {
  candleRange,
  historyHash,
  smokeMetrics,
  splitDataset,
  trainPipeline,
  tuneDecisionBiases,
} from './pipeline.ts';
import { progressReporter } from './progress.ts';
import { REGIME_LABELS, REGIMES } from './regimes.ts';
import { initTensorflow } from './tensorflow.ts';

const logger = createLogger('regime-model');

function parseDate(value: string): number {
  const t = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value);
  if (Number.isNaN(t)) throw new InvalidArgumentError(`"${value}" is not a date (YYYY-MM-DD or ISO 8601)`);
  return t;
}

function parseSymbols(value: string): string[] {
  try {
    return value.split(',').map((s) => parseSymbol(s));
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
}

function parseStride(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0 || n % 5 !== 0)
    throw new InvalidArgumentError('expected a positive multiple of 5');
  return n;
}

interface SourceOptions {
  data?: string;
  questdb?: boolean;
  symbols?: string[];
  from?: number;
  to?: number;
}

async function openSource(opts: SourceOptions): Promise<CandleSource> {
  if (opts.questdb && opts.data) throw new Error('give either --data or --questdb, not both');
  if (opts.questdb) return questDbCandleSource(questDbConfigFromEnv());
  return fileCandleSource(resolve(opts.data ?? sharedKlinesDir()));
}

async function loadHistories(
  source: CandleSource,
  symbols: readonly string[],
  range: Period,
): Promise<SymbolHistory[]> {
  const out: SymbolHistory[] = [];
  for (const symbol of symbols) {
    const history = await source.history(symbol, range);
    logger.info(
      { symbol, '5m': history['5m'].length, '15m': history['15m'].length, '1h': history['1h'].length },
      `${symbol}: read ${history['5m'].length} 5m, ${history['15m'].length} 15m, ${history['1h'].length} 1h candles from ${source.description}`,
    );
    if (history['5m'].length === 0) throw new Error(`no 5m candles for ${symbol} in ${source.description}`);
    out.push({ symbol, history });
  }
  return out;
}

const iso = (t: number) => new Date(t).toISOString();

function withSourceOptions(command: Command): Command {
  return command
    .option(
      '--data <dir>',
      'read candles from a folder in the ../shared/data/klines layout (default: ../shared/data/klines)',
    )
    .option('--questdb', 'read candles from QuestDB (QUESTDB_PG_URL, QUESTDB_HTTP)')
    .option('--symbols <list>', 'comma-separated symbols, e.g. BTCUSDT,ETHUSDT', parseSymbols)
    .option('--from <date>', 'first as-of instant (YYYY-MM-DD or ISO, UTC)', parseDate)
    .option('--to <date>', 'end of the period, exclusive (YYYY-MM-DD or ISO, UTC)', parseDate);
}

async function train(opts: SourceOptions & { config: string; out: string; version?: string }): Promise<void> {
  const configPath = resolve(opts.config);
  const config = parseTrainConfig(await readFile(configPath, 'utf8'), configPath);
  if (opts.symbols) config.symbols = opts.symbols;
  if (opts.from !== undefined) config.from = opts.from;
  if (opts.to !== undefined) config.to = opts.to;
  for (const key of ['validationFrom', 'testFrom'] as const) {
    const t = config[key];
    if (t !== undefined && !(config.from < t && t < config.to)) {
      logger.warn(`${key} ${iso(t)} is outside --from/--to: using the configured fractions instead`);
      config[key] = undefined;
    }
  }
  const { backend } = await initTensorflow();
  const params = labelerParams(config);
  const source = await openSource(opts);
  let inputs: SymbolHistory[];
  try {
    inputs = await loadHistories(
      source,
      config.symbols,
      candleRange({ from: config.from, to: config.to }, params),
    );
  } finally {
    await source.close();
  }
  // Date and minute of the run plus the data hash: two runs on the same data never share a name.
  const stamp = new Date().toISOString().slice(0, 16).replace(/[-:]/g, '').replace('T', '-');
  const version = opts.version ?? `regime-lstm-${stamp}-${historyHash(inputs).slice(0, 8)}`;
  logger.info({ backend, version, symbols: config.symbols }, `training ${version} on the ${backend} backend`);
  const out = resolve(opts.out);
  const progress = progressReporter(logger, config.model.maxEpochs);
  let artifact: Awaited<ReturnType<typeof trainPipeline>>;
  try {
    artifact = await trainPipeline(
      inputs,
      config,
      { backend, version },
      (p) => progress.update(p),
      async (checkpoint) => {
        // The best model so far, so an interrupted run still leaves a usable artifact.
        await writeArtifact(out, checkpoint);
        logger.info({ out, epoch: checkpoint.metadata.training.bestEpoch }, `checkpoint written to ${out}`);
      },
    );
  } finally {
    progress.stop();
  }
  await writeArtifact(out, artifact);
  const t = artifact.metadata.training;
  logger.info(
    {
      out,
      samples: t.samples,
      bestEpoch: t.bestEpoch,
      validationMacroF1: artifact.metadata.metrics.validation.macroF1,
      trainingSeconds: t.trainingSeconds,
      smoke: artifact.metadata.metrics.smoke,
    },
    `wrote ${out}: best epoch ${t.bestEpoch}, validation macro-F1 ${artifact.metadata.metrics.validation.macroF1.toFixed(4)}, ${t.trainingSeconds.toFixed(0)} s`,
  );
  artifact.model.dispose();
}

/** REPORT, REPORT.md or REPORT.json → both file names. */
function reportPaths(out: string): { md: string; json: string } {
  const base = resolve(out).replace(/\.(md|json)$/, '');
  return { md: `${base}.md`, json: `${base}.json` };
}

/** The parts of a report that must reproduce exactly: the data evaluated and every metric. */
function reproducible(report: EvaluationReport): unknown {
  const { source: _source, ...data } = report.data;
  return {
    model: report.model,
    data,
    classShare: report.classShare,
    labels: report.labels,
    results: report.results,
  };
}

async function evaluate(
  opts: SourceOptions & { model: string; out: string; stride?: number; expect?: string },
): Promise<void> {
  const started = performance.now();
  const { backend } = await initTensorflow();
  const { model, metadata, scaler, baselines } = await readArtifact(resolve(opts.model));
  const params = metadata.labeler.params;
  const test = metadata.training.periods.test;
  const period = { from: opts.from ?? Date.parse(test.from), to: opts.to ?? Date.parse(test.to) };
  const symbols = opts.symbols ?? metadata.training.symbols;
  const strideMinutes = opts.stride ?? metadata.training.strideMinutes.test;
  const source = await openSource(opts);
  let inputs: SymbolHistory[];
  try {
    inputs = await loadHistories(source, symbols, candleRange(period, params));
  } finally {
    await source.close();
  }
  logger.info(
    { backend, symbols, from: iso(period.from), to: iso(period.to), strideMinutes },
    'building the evaluation set',
  );
  const progress = progressReporter(logger, 0);
  const { dataset, skipped } = await splitDataset(inputs, period, strideMinutes, params, (d) =>
    progress.update({ stage: 'dataset', split: 'test', dataset: d }),
  );
  progress.stop();
  if (dataset.size === 0) throw new Error('no usable samples in the evaluation period');
  const results = evaluateClassifiers(model, scaler, baselines, dataset, strideMinutes, metadata.decision);
  model.dispose();
  const report: EvaluationReport = {
    model: {
      version: metadata.version,
      trainedOn: metadata.training.symbols,
      trainPeriod: metadata.training.periods.train,
    },
    data: {
      source: source.description,
      symbols,
      from: iso(period.from),
      to: iso(period.to),
      strideMinutes,
      samples: dataset.size,
      skipped,
      dataHash: historyHash(inputs),
    },
    classShare: classShare(dataset.labels),
    labels: labelStability(dataset, strideMinutes),
    results,
    seconds: (performance.now() - started) / 1000,
  };
  const paths = reportPaths(opts.out);
  await mkdir(dirname(paths.md), { recursive: true });
  await writeFile(paths.json, `${JSON.stringify(report, null, 2)}\n`);
  await writeFile(paths.md, renderReportMarkdown(report));
  if (opts.expect) {
    const expected = JSON.parse(await readFile(resolve(opts.expect), 'utf8')) as EvaluationReport;
    if (JSON.stringify(reproducible(expected)) !== JSON.stringify(reproducible(report))) {
      throw new Error(`the evaluation differs from ${opts.expect}: compare it with ${paths.json}`);
    }
    logger.info(`the evaluation reproduces ${opts.expect} exactly`);
  }
  logger.info(
    {
      lstm: results.lstm.macroF1,
      causal: results.causal.macroF1,
      rules: results.rules.macroF1,
      logistic: results.logistic.macroF1,
      majority: results.majority.macroF1,
    },
    `wrote ${paths.md} and ${paths.json}: LSTM macro-F1 ${results.lstm.macroF1.toFixed(4)} on ${dataset.size} samples`,
  );
}

/** Labeler 2 on real candles: coverage, persistence, character and settling (the tables of REGIMES.md). */
async function labels(opts: SourceOptions & { out?: string; settle?: boolean }): Promise<void> {
  if (opts.from === undefined || opts.to === undefined) throw new Error('labels needs --from and --to');
  if (!(opts.from < opts.to)) throw new Error('--from must be before --to');
  const symbols = opts.symbols ?? ['BTCUSDT'];
  const params = DEFAULT_LABELER_PARAMS;
  const period = { from: opts.from, to: opts.to };
  const source = await openSource(opts);
  const pct = (v: number) => `${(v * 100).toFixed(1)}%`;
  const summary = [
    `Labeler ${LABELER_VERSION} on every 15-minute bar from ${iso(period.from)} to ${iso(period.to)} (${source.description}).`,
    '',
    '| symbol | labelled bars | skipped (gap) | skipped (unsettled) | switches / day | mean run |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
  ];
  const character = [
    '',
    'Per regime: share of the labelled bars, number of segments, mean run, and the medians over its segments of the realised volatility (annualised, from 15m returns), the efficiency ratio and the absolute net move.',
    '',
    '| symbol | regime | share | segments | mean run | realised vol | efficiency | net move |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  const settle: string[] = [];
  try {
    for (const symbol of symbols) {
      const started = performance.now();
      const history = await source.history(symbol, candleRange(period, params));
      const labeler = new SeriesLabeler(history['5m'], params);
      const report = labelReport(labeler, period);
      logger.info(
        `${symbol}: labelled ${report.labelledBars} bars in ${((performance.now() - started) / 1000).toFixed(1)} s (reading included)`,
      );
      const hours = (minutes: number) => `${(minutes / 60).toFixed(1)} h`;
      summary.push(
        `| ${symbol} | ${report.labelledBars} | ${report.skipped.gap} | ${report.skipped.unsettled} | ${report.switchesPerDay.toFixed(2)} | ${hours(report.meanRunMinutes)} |`,
      );
      for (const regime of REGIMES) {
        const c = report.regimes[regime];
        character.push(
          `| ${symbol} | ${REGIME_LABELS[regime]} | ${pct(c.share)} | ${c.segments} | ${hours(c.meanRunMinutes)} | ${pct(c.realisedVolatility)} | ${c.efficiency.toFixed(2)} | ${pct(c.netMove)} |`,
        );
      }
      if (opts.settle) {
        const curve = settleCurve(labeler, params, period, {
          maxAgeBars: 192,
          contextBars: 2880,
          everyBars: 24,
        });
        const ages = [0, 1, 2, 4, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192];
        if (settle.length === 0) {
          settle.push(
            '',
            'Settling: share of bars whose label, computed when the bar was a given age (hours of data after it), differs from the label computed with all the data.',
            '',
            `| symbol | cutoffs | ${ages.map((a) => `${a / 4} h`).join(' | ')} |`,
            `| --- | ---: | ${ages.map(() => '---:').join(' | ')} |`,
          );
        }
        settle.push(
          `| ${symbol} | ${curve.cutoffs} | ${ages.map((a) => pct(curve.changed[a] ?? 0)).join(' | ')} |`,
        );
      }
    }
  } finally {
    await source.close();
  }
  const text = `${[...summary, ...character, ...settle].join('\n')}\n`;
  if (opts.out) await writeFile(resolve(opts.out), text);
  process.stdout.write(text);
}

/** Recomputes an artifact's smoke check; compares it with the recorded one, or records it (--write). */
async function smoke(
  opts: SourceOptions & { model: string; symbol?: string; stride?: number; write?: boolean },
): Promise<void> {
  const dir = resolve(opts.model);
  await initTensorflow();
  const { model, metadata, scaler } = await readArtifact(dir);
  const recorded = metadata.metrics.smoke;
  const symbol = opts.symbol ?? recorded?.symbol;
  const from = opts.from ?? (recorded ? Date.parse(recorded.from) : undefined);
  const to = opts.to ?? (recorded ? Date.parse(recorded.to) : undefined);
  const strideMinutes = opts.stride ?? recorded?.strideMinutes;
  if (!symbol || from === undefined || to === undefined || !strideMinutes) {
    throw new Error('no smoke check recorded: give --symbol, --from, --to and --stride');
  }
  const source = await openSource(opts);
  let history: CandleHistory;
  try {
    history = await source.history(symbol, candleRange({ from, to }, metadata.labeler.params));
  } finally {
    await source.close();
  }
  const check = await smokeMetrics(
    model,
    scaler,
    [{ symbol, history }],
    { symbol, from, to, strideMinutes },
    metadata.labeler.params,
  );
  model.dispose();
  if (opts.write) {
    metadata.metrics.smoke = check;
    await writeFile(join(dir, ARTIFACT_FILES.metadata), `${JSON.stringify(metadata, null, 2)}\n`);
    logger.info(check, `recorded the smoke check in ${dir}`);
  } else if (JSON.stringify(check) !== JSON.stringify(recorded)) {
    throw new Error(
      `smoke check differs: recorded ${JSON.stringify(recorded)}, now ${JSON.stringify(check)}`,
    );
  } else {
    logger.info(check, 'the smoke check reproduces exactly');
  }
}

/**
 * Tunes the decision bias of an artifact trained without it (e.g. a checkpoint) on its own
 * validation period, exactly as `train` does at the end, and rewrites the artifact.
 */
async function tune(opts: SourceOptions & { model: string }): Promise<void> {
  const dir = resolve(opts.model);
  await initTensorflow();
  const artifact = await readArtifact(dir);
  const { metadata } = artifact;
  if (metadata.training.decisionBias) throw new Error(`${dir} already has a tuned decision bias`);
  const period = {
    from: Date.parse(metadata.training.periods.validation.from),
    to: Date.parse(metadata.training.periods.validation.to),
  };
  const source = await openSource(opts);
  let inputs: SymbolHistory[];
  try {
    inputs = await loadHistories(
      source,
      metadata.training.symbols,
      candleRange(period, metadata.labeler.params),
    );
  } finally {
    await source.close();
  }
  const { dataset } = await splitDataset(
    inputs,
    period,
    metadata.training.strideMinutes.validation,
    metadata.labeler.params,
  );
  if (dataset.size !== metadata.training.samples.validation) {
    throw new Error(
      `validation set has ${dataset.size} samples, the artifact was validated on ${metadata.training.samples.validation}`,
    );
  }
  const decisionBias = tuneDecisionBiases(artifact.model, artifact.scaler, artifact.baselines, dataset);
  metadata.training.decisionBias = decisionBias;
  metadata.metrics.validation.macroF1 = decisionBias.validationMacroF1.lstmAfter;
  const recorded = metadata.metrics.smoke;
  if (recorded) {
    // The smoke check describes the weights: record it again for the tuned ones (its own symbol only).
    const smokePeriod = { from: Date.parse(recorded.from), to: Date.parse(recorded.to) };
    const smokeSource = await openSource(opts);
    let history: CandleHistory;
    try {
      history = await smokeSource.history(recorded.symbol, candleRange(smokePeriod, metadata.labeler.params));
    } finally {
      await smokeSource.close();
    }
    metadata.metrics.smoke = await smokeMetrics(
      artifact.model,
      artifact.scaler,
      [{ symbol: recorded.symbol, history }],
      { symbol: recorded.symbol, ...smokePeriod, strideMinutes: recorded.strideMinutes },
      metadata.labeler.params,
    );
  }
  await writeArtifact(dir, artifact);
  artifact.model.dispose();
  logger.info(
    decisionBias,
    `tuned ${dir}: validation macro-F1 ${decisionBias.validationMacroF1.lstmBefore.toFixed(4)} → ${decisionBias.validationMacroF1.lstmAfter.toFixed(4)}`,
  );
}

/** Rebuilds the generated part of a model card from an artifact and an evaluation report. */
async function card(opts: { model: string; report: string; out: string }): Promise<void> {
  await initTensorflow();
  const { model, metadata } = await readArtifact(resolve(opts.model));
  model.dispose();
  const report = JSON.parse(await readFile(resolve(opts.report), 'utf8')) as EvaluationReport;
  const out = resolve(opts.out);
  const existing = await readFile(out, 'utf8').catch(() => undefined);
  await writeFile(out, updateCard(existing, renderCardFacts(metadata, report)));
  logger.info(`wrote ${out}`);
}

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
    .option('--version <name>', 'model version (default: regime-lstm-<YYYYMMDD-HHMM>-<data hash>)'),
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
