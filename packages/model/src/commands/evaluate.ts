import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { readArtifact } from '../artifact.ts';
import type { SymbolHistory } from '../dataset.ts';
import {
  classShare,
  type EvaluationReport,
  evaluateClassifiers,
  labelStability,
  renderReportMarkdown,
} from '../evaluate.ts';
import { candleRange, historyHash, splitDataset } from '../pipeline.ts';
import { progressReporter } from '../progress.ts';
import { initTensorflow } from '../tensorflow.ts';
import { iso, loadHistories, logger, openSource, type SourceOptions } from './options.ts';

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

export async function evaluate(
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
