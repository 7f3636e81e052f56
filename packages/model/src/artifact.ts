import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FEATURE_NAMES, FEATURES_VERSION, WINDOW_STEPS } from '@regime/features';
import { LABELER_VERSION, REGIMES, VIEW_BAR_NAMES, VIEW_BARS, VIEW_SUMMARY_NAMES } from '@regime/labeler';
import { z } from 'zod';
import { CALENDAR_NAMES } from './calendar.ts';
import { decisionSpanMinutes, MAX_DECISION_SPAN_MINUTES } from './decision.ts';
import type { InputDistribution } from './drift/distribution.ts';
import { writeInputDistribution } from './drift/io.ts';
import {
  ARTIFACT_FORMAT,
  type BaselinesState,
  baselinesSchema,
  FORMAT_INPUTS,
  type ModelMetadata,
  metadataSchema,
  scalerSchema,
} from './metadata.ts';
import { NETWORK_INPUTS } from './network.ts';
import type { ModelScalers, ScalerState } from './scaler.ts';
import { tf } from './tensorflow.ts';
import { VIEW_BAR_WIDTH, VIEW_SUMMARY_WIDTH } from './view-inputs.ts';

/**
 * The artifact folder: model.json + weights.bin (tfjs layers format), scaler.json, metadata.json,
 * baselines.json. Written and read without tfjs-node (which owns tfjs' file:// handlers), so it works
 * on the WASM backend too.
 */
export const ARTIFACT_FILES = {
  model: 'model.json',
  weights: 'weights.bin',
  scaler: 'scaler.json',
  metadata: 'metadata.json',
  baselines: 'baselines.json',
} as const;

export class ModelArtifactError extends Error {
  constructor(
    readonly dir: string,
    readonly problems: string[],
  ) {
    super(`model artifact ${dir} refused:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ModelArtifactError';
  }
}

/** Intervals in the order they first appear in the feature names (`<feature>_<interval>`). */
export function featureIntervals(names: readonly string[]): string[] {
  const out: string[] = [];
  for (const name of names) {
    const interval = name.slice(name.lastIndexOf('_') + 1);
    if (!out.includes(interval)) out.push(interval);
  }
  return out;
}

function sameList(a: readonly unknown[], b: readonly unknown[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

function firstDifference(found: readonly string[], expected: readonly string[]): string {
  const i = expected.findIndex((v, k) => found[k] !== v);
  if (i < 0) return `${found.length} names where ${expected.length} are expected`;
  return `position ${i}: "${found[i] ?? '(missing)'}" where "${expected[i]}" is expected`;
}

/**
 * Everything that must match between an artifact and this build of packages/features and
 * packages/model; an empty list means the artifact is usable.
 */
export function artifactProblems(
  metadata: ModelMetadata,
  scalers: ModelScalers,
  inputShapes: readonly (readonly (number | null)[])[],
  outputUnits: number,
): string[] {
  const problems: string[] = [];
  if (!sameList(metadata.featureNames, FEATURE_NAMES)) {
    problems.push(
      `feature names differ from packages/features (${firstDifference(metadata.featureNames, FEATURE_NAMES)})`,
    );
  }
  if (metadata.featuresVersion !== FEATURES_VERSION) {
    problems.push(
      `trained on features version ${metadata.featuresVersion}, this build of packages/features computes version ${FEATURES_VERSION}`,
    );
  }
  const intervals = featureIntervals(FEATURE_NAMES);
  if (!sameList(metadata.intervals, intervals)) {
    problems.push(`intervals [${metadata.intervals}] differ from packages/features [${intervals}]`);
  }
  if (metadata.primaryInterval !== intervals[0]) {
    problems.push(`primary interval ${metadata.primaryInterval} is not ${intervals[0]}`);
  }
  if (metadata.steps !== WINDOW_STEPS)
    problems.push(`steps ${metadata.steps} but feature windows have ${WINDOW_STEPS}`);
  if (!sameList(metadata.regimes, REGIMES)) {
    problems.push(`regime map [${metadata.regimes}] differs from [${REGIMES}]`);
  }
  if (metadata.labeler.version !== LABELER_VERSION) {
    problems.push(
      `trained with labeler ${metadata.labeler.version}, this build labels with ${LABELER_VERSION}`,
    );
  }
  if (decisionSpanMinutes(metadata.decision) > MAX_DECISION_SPAN_MINUTES) {
    problems.push(
      `decision layer reads windows ${decisionSpanMinutes(metadata.decision)} min back; this build loads ${MAX_DECISION_SPAN_MINUTES} min of extra history`,
    );
  }
  if (!sameList(metadata.view.summaryNames, VIEW_SUMMARY_NAMES)) {
    problems.push(
      `labeler view summary differs from @regime/labeler (${firstDifference(metadata.view.summaryNames, VIEW_SUMMARY_NAMES)})`,
    );
  }
  if (!sameList(metadata.view.barNames, VIEW_BAR_NAMES)) {
    problems.push(
      `labeler view bar columns differ from @regime/labeler (${firstDifference(metadata.view.barNames, VIEW_BAR_NAMES)})`,
    );
  }
  if (metadata.view.bars !== VIEW_BARS)
    problems.push(`labeler view of ${metadata.view.bars} bars, this build computes ${VIEW_BARS}`);
  const scalerProblem = (name: string, scaler: ScalerState, names: readonly string[]) => {
    if (!sameList(scaler.featureNames, names))
      problems.push(`scaler.json ${name} names differ from metadata`);
    if (scaler.mean.length !== names.length || scaler.std.length !== names.length)
      problems.push(`scaler.json ${name} mean/std length differs from its ${names.length} names`);
  };
  scalerProblem('features', scalers.features, metadata.featureNames);
  scalerProblem('viewSummary', scalers.viewSummary, metadata.view.summaryNames);
  scalerProblem('viewBars', scalers.viewBars, metadata.view.barNames);
  if (!sameList(metadata.calendarNames, CALENDAR_NAMES)) {
    problems.push(`calendar inputs [${metadata.calendarNames}] differ from this build's [${CALENDAR_NAMES}]`);
  }
  const expectedShapes = [
    [null, metadata.steps, metadata.featureNames.length],
    [null, metadata.calendarNames.length],
    [null, VIEW_SUMMARY_WIDTH],
    [null, VIEW_BARS, VIEW_BAR_WIDTH],
  ];
  const shapes = (list: readonly (readonly (number | null)[])[]) => list.map((s) => `[${s}]`).join(', ');
  if (
    inputShapes.length !== expectedShapes.length ||
    !inputShapes.every((shape, i) => sameList(shape, expectedShapes[i]!))
  ) {
    problems.push(
      `model inputs ${shapes(inputShapes)} are not ${shapes(expectedShapes)} (${NETWORK_INPUTS.join(', ')})`,
    );
  }
  if (outputUnits !== REGIMES.length)
    problems.push(`model has ${outputUnits} outputs, not ${REGIMES.length}`);
  return problems;
}

async function readJson<S extends z.ZodType>(dir: string, file: string, schema: S): Promise<z.infer<S>> {
  let text: string;
  try {
    text = await readFile(join(dir, file), 'utf8');
  } catch (error) {
    throw new ModelArtifactError(dir, [`cannot read ${file}: ${(error as Error).message}`]);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ModelArtifactError(dir, [`${file} is not JSON: ${(error as Error).message}`]);
  }
  const result = schema.safeParse(parsed);
  if (!result.success) {
    throw new ModelArtifactError(
      dir,
      result.error.issues.map((i) => `${file}: ${i.path.join('.') || '(root)'}: ${i.message}`),
    );
  }
  return result.data;
}

export interface LoadedArtifact {
  model: tf.LayersModel;
  metadata: ModelMetadata;
  scalers: ModelScalers;
  baselines: BaselinesState;
}

/** Reads and verifies an artifact folder; throws ModelArtifactError listing every problem. */
export async function readArtifact(dir: string): Promise<LoadedArtifact> {
  const raw = await readJson(
    dir,
    ARTIFACT_FILES.metadata,
    z.looseObject({ format: z.unknown(), labeler: z.looseObject({ version: z.unknown() }).optional() }),
  );
  // Checked first: an older labeler's artifact also has an older layout, and the labeler is the reason.
  const labelerVersion = raw.labeler?.version;
  if (labelerVersion !== LABELER_VERSION) {
    throw new ModelArtifactError(dir, [
      `trained with labeler ${String(labelerVersion)}, this build labels with ${LABELER_VERSION}: its regimes mean something else; retrain it (regime-model train)`,
    ]);
  }
  if (raw.format !== ARTIFACT_FORMAT) {
    const layout = (format: unknown) =>
      typeof format === 'number' && FORMAT_INPUTS[format] ? ` (inputs: ${FORMAT_INPUTS[format]})` : '';
    throw new ModelArtifactError(dir, [
      `artifact format ${String(raw.format)}${layout(raw.format)}; this build reads format ${ARTIFACT_FORMAT}${layout(ARTIFACT_FORMAT)}: retrain it (regime-model train)`,
    ]);
  }
  const metadata = await readJson(dir, ARTIFACT_FILES.metadata, metadataSchema);
  const scalers = await readJson(dir, ARTIFACT_FILES.scaler, scalerSchema);
  const baselines = await readJson(dir, ARTIFACT_FILES.baselines, baselinesSchema);
  let topology: { modelTopology: object; weightsManifest: { weights: tf.io.WeightsManifestEntry[] }[] };
  let weightData: Buffer;
  try {
    topology = JSON.parse(await readFile(join(dir, ARTIFACT_FILES.model), 'utf8'));
    weightData = await readFile(join(dir, ARTIFACT_FILES.weights));
  } catch (error) {
    throw new ModelArtifactError(dir, [`cannot read the tfjs model: ${(error as Error).message}`]);
  }
  const weightSpecs = topology.weightsManifest.flatMap((group) => group.weights);
  const model = await tf.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: topology.modelTopology,
      weightSpecs,
      weightData: weightData.buffer.slice(
        weightData.byteOffset,
        weightData.byteOffset + weightData.byteLength,
      ),
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
