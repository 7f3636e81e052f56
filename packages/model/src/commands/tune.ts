import { resolve } from 'node:path';
import type { CandleHistory } from '@regime/features';
import { readArtifact, writeArtifact } from '../artifact.ts';
import type { SymbolHistory } from '../dataset.ts';
import { candleRange, smokeMetrics, splitDataset, tuneDecisionBiases } from '../pipeline.ts';
import { initTensorflow } from '../tensorflow.ts';
import { loadHistories, logger, openSource, type SourceOptions } from './options.ts';

/**
 * Tunes the decision bias of an artifact trained without it (e.g. a checkpoint) on its own
 * validation period, exactly as `train` does at the end, and rewrites the artifact.
 */
export async function tune(opts: SourceOptions & { model: string }): Promise<void> {
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
