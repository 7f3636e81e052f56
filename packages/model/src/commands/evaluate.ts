import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { readInferenceArtifact } from '../artifact-files.ts';
import type { SymbolHistory } from '../dataset.ts';
import {
  classifierNames,
  classShare,
  type EvaluationReport,
  evaluateClassifiers,
  labelStability,
} from '../evaluate.ts';
import {
  candleRange,
  DECISION_LEAD_IN_MS,
  historyHash,
  samplesFrom,
  selectSamples,
  splitDataset,
} from '../period-data.ts';
import { progressReporter } from '../progress.ts';
import { renderReportMarkdown } from '../report-markdown.ts';
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
    decision: report.decision,
    profile: report.profile,
  };
}

export async function evaluate(
  opts: SourceOptions & { model: string; out: string; stride?: number; expect?: string },
): Promise<void> {
  const started = performance.now();
  const { network, metadata, scalers, baselines } = await readInferenceArtifact(resolve(opts.model));
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
    { symbols, from: iso(period.from), to: iso(period.to), strideMinutes },
    'building the evaluation set',
  );
  const progress = progressReporter(logger, 0);
  // The decision layer's lead-in: the windows the first instants' written regime reads, not scored.
  const built = await splitDataset(
    inputs,
    { from: period.from - DECISION_LEAD_IN_MS, to: period.to },
    strideMinutes,
    params,
    (d) => progress.update({ stage: 'dataset', split: 'test', dataset: d }),
  );
  progress.stop();
  const scored = samplesFrom(built.dataset, period.from);
  if (scored.length === 0) throw new Error('no usable samples in the evaluation period');
  const evaluation = evaluateClassifiers(
    network,
    scalers,
    baselines,
    built.dataset,
    strideMinutes,
    metadata.decision,
    scored,
  );
  const dataset = selectSamples(built.dataset, scored);
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
      skipped: built.skipped,
      dataHash: historyHash(inputs),
    },
    classShare: classShare(dataset.labels),
    labels: labelStability(dataset, strideMinutes),
    classifierNames: classifierNames(baselines),
    results: evaluation.results,
    decision: {
      rule: {
        windows: metadata.decision.windows,
        spacingMinutes: metadata.decision.spacingMinutes,
        margin: metadata.decision.margin,
      },
      grid: evaluation.decisionGrid,
    },
    profile: evaluation.profile,
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
    Object.fromEntries(Object.entries(report.results).map(([c, r]) => [c, r.macroF1])),
    `wrote ${paths.md} and ${paths.json}: macro-F1 argmax ${report.results.modelArgmax.macroF1.toFixed(4)}, written ${report.results.model.macroF1.toFixed(4)} (${report.results.model.switchesPerDay.toFixed(2)} switches/day) on ${dataset.size} samples`,
  );
}
