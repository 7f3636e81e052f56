import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { readArtifact } from '../artifact.ts';
import { labelerParams, parseTrainConfig, splitPeriods } from '../config.ts';
import { asOfInstants } from '../dataset.ts';
import { calibrateDistribution, trainingDayColumns } from '../drift/calibration.ts';
import { distributionOfColumns } from '../drift/distribution.ts';
import { InputColumns } from '../drift/input-names.ts';
import { INPUT_DISTRIBUTION_FILE, loadInputDistribution, writeInputDistribution } from '../drift/io.ts';
import { candleRange, labelHorizonMs, splitDataset } from '../period-data.ts';
import { progressReporter } from '../progress.ts';
import { initTensorflow } from '../tensorflow.ts';
import { iso, loadHistories, logger, openSource, type SourceOptions } from './options.ts';

/** Default thinning of the training instants: every 6th (270 min at the shipped 45-min stride), ~50 000 for nine pairs. */
const DEFAULT_STRIDE_FACTOR = 6;

/**
 * Recomputes an artifact's training input distribution (input-distribution.json) without retraining:
 * the same training split (checked against the config it was trained with), the same symbols and
 * labeler, every `stride`-th minute (a multiple of the training stride, so the instants are training
 * instants). Reads one symbol at a time: the nine pairs' training datasets at the training stride
 * would need ~15 GB.
 */
export async function distribution(
  opts: SourceOptions & { model: string; config: string; stride?: number; force?: boolean },
): Promise<void> {
  if (opts.from !== undefined || opts.to !== undefined)
    throw new Error('the distribution is of the training split: --from/--to do not apply');
  const dir = resolve(opts.model);
  await initTensorflow();
  const { model, metadata } = await readArtifact(dir);
  model.dispose();
  const configPath = resolve(opts.config);
  const config = parseTrainConfig(await readFile(configPath, 'utf8'), configPath);
  const params = labelerParams(config);
  const periods = splitPeriods(config, labelHorizonMs(params));
  const recorded = metadata.training.periods.train;
  if (iso(periods.train.from) !== recorded.from || iso(periods.train.to) !== recorded.to) {
    throw new Error(
      `${configPath} gives the training split ${iso(periods.train.from)} … ${iso(periods.train.to)}, the artifact was trained on ${recorded.from} … ${recorded.to}: give the config it was trained with`,
    );
  }
  if (JSON.stringify(params) !== JSON.stringify(metadata.labeler.params))
    throw new Error(`${configPath}'s labeler parameters differ from the artifact's`);
  const trainStride = metadata.training.strideMinutes.train;
  const stride = opts.stride ?? trainStride * DEFAULT_STRIDE_FACTOR;
  if (stride % trainStride !== 0)
    throw new Error(`--stride ${stride} is not a multiple of the training stride ${trainStride}`);
  if (!opts.force && (await loadInputDistribution(dir)))
    throw new Error(`${dir} already has ${INPUT_DISTRIBUTION_FILE} (--force replaces it)`);
  const symbols = opts.symbols ?? metadata.training.symbols;
  const period = { from: periods.train.from, to: periods.train.to };
  const columns = new InputColumns(
    symbols.length * asOfInstants(period.from, period.to, stride * 60_000).length,
  );
  const source = await openSource(opts);
  const progress = progressReporter(logger, 0);
  const days: InputColumns[] = [];
  try {
    for (const symbol of symbols) {
      const inputs = await loadHistories(source, [symbol], candleRange(period, params));
      const { dataset } = await splitDataset(inputs, period, stride, params, (d) =>
        progress.update({ stage: 'dataset', split: 'train', dataset: d }),
      );
      columns.addDatasetSamples(
        dataset,
        Uint32Array.from({ length: dataset.size }, (_, i) => i),
      );
      // Whole days of the training split, every 5 minutes: the calibration of the drift thresholds.
      days.push(
        ...(await trainingDayColumns(inputs, period, params, undefined, (d) =>
          progress.update({ stage: 'dataset', split: 'train', dataset: d }),
        )),
      );
      logger.info({ symbol, instants: dataset.size }, `${symbol}: ${dataset.size} training instants`);
    }
  } finally {
    progress.stop();
    await source.close();
  }
  const uncalibrated = distributionOfColumns(columns, metadata.version, {
    symbols: [...symbols],
    from: recorded.from,
    to: recorded.to,
    strideMinutes: stride,
    note: `training split every ${stride} min (every ${stride / trainStride}th training instant), recomputed by regime-model distribution`,
  });
  const result = calibrateDistribution(uncalibrated, days);
  logger.info({ days: days.length }, `calibrated the drift thresholds on ${days.length} training days`);
  await writeInputDistribution(dir, result);
  logger.info(
    { dir, instants: result.source.instants, inputs: result.inputs.length },
    `wrote ${INPUT_DISTRIBUTION_FILE} to ${dir}: ${result.inputs.length} inputs over ${result.source.instants} training instants`,
  );
}
