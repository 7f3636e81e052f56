import { resolve } from 'node:path';
import type { CandleHistory } from '@regime/features';
import { readArtifact, writeArtifact } from '../artifact.ts';
import type { SymbolHistory } from '../dataset.ts';
import { candleRange, DECISION_LEAD_IN_MS, samplesFrom, splitDataset } from '../period-data.ts';
import { smokeMetrics, tuneAfterTraining } from '../pipeline.ts';
import { initTensorflow } from '../tensorflow.ts';
import { kernelOf } from '../tfjs-kernel.ts';
import { loadHistories, logger, openSource, type SourceOptions } from './options.ts';

/**
 * Finishes an artifact whose training stopped before its end (a checkpoint): tunes the decision bias,
 * the late-fusion reference and the decision layer on its own validation period, exactly as `train`
 * does at the end, records its smoke check again, and rewrites the artifact.
 */
export async function tune(opts: SourceOptions & { model: string }): Promise<void> {
  const dir = resolve(opts.model);
  await initTensorflow();
  const artifact = await readArtifact(dir);
  const { metadata } = artifact;
  if (metadata.training.decisionBias) throw new Error(`${dir} already has a tuned decision bias`);
  const params = metadata.labeler.params;
  const period = {
    from: Date.parse(metadata.training.periods.validation.from),
    to: Date.parse(metadata.training.periods.validation.to),
  };
  const source = await openSource(opts);
  let inputs: SymbolHistory[];
  try {
    inputs = await loadHistories(source, metadata.training.symbols, candleRange(period, params));
  } finally {
    await source.close();
  }
  const stride = metadata.training.strideMinutes.validation;
  const { dataset } = await splitDataset(
    inputs,
    { from: period.from - DECISION_LEAD_IN_MS, to: period.to },
    stride,
    params,
  );
  const scored = samplesFrom(dataset, period.from);
  if (scored.length !== metadata.training.samples.validation) {
    throw new Error(
      `validation set has ${scored.length} samples, the artifact was validated on ${metadata.training.samples.validation}`,
    );
  }
  tuneAfterTraining(artifact, dataset, scored, stride);
  const recorded = metadata.metrics.smoke;
  if (recorded) {
    // The smoke check describes the weights: record it again for the tuned ones (its own symbol only).
    const smokePeriod = { from: Date.parse(recorded.from), to: Date.parse(recorded.to) };
    const smokeSource = await openSource(opts);
    let history: CandleHistory;
    try {
      history = await smokeSource.history(recorded.symbol, candleRange(smokePeriod, params));
    } finally {
      await smokeSource.close();
    }
    metadata.metrics.smoke = await smokeMetrics(
      await kernelOf(artifact.model),
      artifact.scalers,
      [{ symbol: recorded.symbol, history }],
      { symbol: recorded.symbol, ...smokePeriod, strideMinutes: recorded.strideMinutes },
      params,
    );
  }
  await writeArtifact(dir, artifact);
  artifact.model.dispose();
  const f1 = metadata.training.decisionBias!.validationMacroF1;
  logger.info(
    { decisionBias: metadata.training.decisionBias, decision: metadata.decision },
    `tuned ${dir}: validation macro-F1 ${f1.modelBefore.toFixed(4)} → ${f1.modelAfter.toFixed(4)}; decision layer ${metadata.decision.windows} windows, margin ${metadata.decision.margin}`,
  );
}
