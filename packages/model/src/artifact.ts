import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ARTIFACT_FILES, artifactProblems, ModelArtifactError, readArtifactParts } from './artifact-files.ts';
import type { InputDistribution } from './drift/distribution.ts';
import { writeInputDistribution } from './drift/io.ts';
import type { BaselinesState, ModelMetadata } from './metadata.ts';
import type { ModelScalers } from './scaler.ts';
import { tf } from './tensorflow.ts';

/** An artifact loaded into tfjs: what training writes and tuning rewrites (artifact-files.ts reads it for inference). */
export interface LoadedArtifact {
  model: tf.LayersModel;
  metadata: ModelMetadata;
  scalers: ModelScalers;
  baselines: BaselinesState;
}

/**
 * Reads and verifies an artifact folder into tfjs (training and tuning change its weights; inference
 * reads it with readInferenceArtifact instead); throws ModelArtifactError listing every problem.
 */
export async function readArtifact(dir: string): Promise<LoadedArtifact> {
  const { saved, metadata, scalers, baselines } = await readArtifactParts(dir);
  const model = await tf.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: saved.modelTopology as object,
      weightSpecs: [...saved.weightSpecs] as tf.io.WeightsManifestEntry[],
      weightData: saved.weightData,
    }),
  );
  const output = model.outputs[0]!.shape;
  const problems = artifactProblems(
    metadata,
    scalers,
    model.inputs.map((input) => input.shape),
    output[output.length - 1] ?? 0,
  );
  if (problems.length > 0) {
    model.dispose();
    throw new ModelArtifactError(dir, problems);
  }
  return { model, metadata, scalers, baselines };
}

/** Writes the artifact folder (created if needed). */
export async function writeArtifact(
  dir: string,
  artifact: LoadedArtifact & { inputDistribution?: InputDistribution },
): Promise<void> {
  await mkdir(dir, { recursive: true });
  await artifact.model.save(
    tf.io.withSaveHandler(async (saved) => {
      const weights = saved.weightData;
      if (!weights || Array.isArray(weights)) throw new Error('expected the model weights as one buffer');
      await writeFile(join(dir, ARTIFACT_FILES.weights), Buffer.from(weights));
      const modelJson = {
        format: 'layers-model',
        generatedBy: saved.generatedBy,
        convertedBy: null,
        modelTopology: saved.modelTopology,
        weightsManifest: [{ paths: [ARTIFACT_FILES.weights], weights: saved.weightSpecs }],
      };
      await writeFile(join(dir, ARTIFACT_FILES.model), `${JSON.stringify(modelJson)}\n`);
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;
  await writeFile(join(dir, ARTIFACT_FILES.scaler), json(artifact.scalers));
  await writeFile(join(dir, ARTIFACT_FILES.baselines), json(artifact.baselines));
  await writeFile(join(dir, ARTIFACT_FILES.metadata), json(artifact.metadata));
  if (artifact.inputDistribution) await writeInputDistribution(dir, artifact.inputDistribution);
}
