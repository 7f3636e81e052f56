import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LABELER_VERSION } from '@regime/labeler';
import {
  ARTIFACT_FILES,
  defaultModelDir,
  loadRegimeModel,
  ModelArtifactError,
  type RegimeModel,
} from '@regime/model/runtime';
import { BadInputError } from './config.ts';

/**
 * The labeler version an artifact was trained with, read from its metadata.json before anything else
 * is loaded: a model of another labeler predicts other regimes than the strategies are written for.
 */
export async function assertLabelerVersion(dir: string): Promise<void> {
  const file = join(dir, ARTIFACT_FILES.metadata);
  let metadata: { labeler?: { version?: unknown } };
  try {
    metadata = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new BadInputError([`--model ${dir}: cannot read ${file}: ${(error as Error).message}`]);
  }
  const version = metadata.labeler?.version;
  if (version !== LABELER_VERSION) {
    throw new BadInputError([
      `--model ${dir}: the artifact was trained with labeler version ${JSON.stringify(version ?? null)}, ` +
        `this build labels with ${LABELER_VERSION}: retrain it or pick an artifact of labeler ${LABELER_VERSION}`,
    ]);
  }
}

/** Loads any artifact folder (default: the shipped model), refusing one this build cannot use. */
export async function openModel(dir: string | undefined): Promise<RegimeModel> {
  const folder = dir ?? defaultModelDir();
  await assertLabelerVersion(folder);
  try {
    return await loadRegimeModel(folder);
  } catch (error) {
    if (error instanceof ModelArtifactError) throw new BadInputError([`--model: ${error.message}`]);
    throw error;
  }
}
