import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { writeArtifact } from '../artifact.ts';
import { labelerParams, parseTrainConfig } from '../config.ts';
import type { SymbolHistory } from '../dataset.ts';
import { candleRange, historyHash } from '../period-data.ts';
import { trainPipeline } from '../pipeline.ts';
import { progressReporter } from '../progress.ts';
import { initTensorflow } from '../tensorflow.ts';
import { iso, loadHistories, logger, openSource, type SourceOptions } from './options.ts';

export async function train(
  opts: SourceOptions & { config: string; out: string; version?: string },
): Promise<void> {
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
  const version = opts.version ?? `regime-model-${stamp}-${historyHash(inputs).slice(0, 8)}`;
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
