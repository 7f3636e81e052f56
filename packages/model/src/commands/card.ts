import { readFile, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { readInferenceArtifact } from '../artifact-files.ts';
import type { EvaluationReport } from '../evaluate.ts';
import { renderCardFacts, updateCard } from '../model-card.ts';
import { logger } from './options.ts';

/** Rebuilds the generated part of a model card from an artifact and an evaluation report. */
export async function card(opts: { model: string; report: string; out: string }): Promise<void> {
  const { metadata } = await readInferenceArtifact(resolve(opts.model));
  const report = JSON.parse(await readFile(resolve(opts.report), 'utf8')) as EvaluationReport;
  const out = resolve(opts.out);
  const existing = await readFile(out, 'utf8').catch(() => undefined);
  await writeFile(out, updateCard(existing, renderCardFacts(metadata, report)));
  logger.info(`wrote ${out}`);
}
