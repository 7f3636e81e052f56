import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { CandleHistory } from '@regime/features';
import { ARTIFACT_FILES, readInferenceArtifact } from '../artifact-files.ts';
import { candleRange } from '../period-data.ts';
import { smokeMetrics } from '../pipeline.ts';
import { logger, openSource, type SourceOptions } from './options.ts';

/** Recomputes an artifact's smoke check; compares it with the recorded one, or records it (--write). */
export async function smoke(
  opts: SourceOptions & { model: string; symbol?: string; stride?: number; write?: boolean },
): Promise<void> {
  const dir = resolve(opts.model);
  const { network, metadata, scalers } = await readInferenceArtifact(dir);
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
    network,
    scalers,
    [{ symbol, history }],
    { symbol, from, to, strideMinutes },
    metadata.labeler.params,
  );
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
