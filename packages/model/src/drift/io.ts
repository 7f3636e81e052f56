import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ModelArtifactError } from '../artifact.ts';
import { distributionProblems, type InputDistribution, inputDistributionSchema } from './distribution.ts';

/** The artifact file of the training input distribution (optional: artifacts before it lack it). */
export const INPUT_DISTRIBUTION_FILE = 'input-distribution.json';

/**
 * The artifact's training input distribution, or undefined when the artifact has none (an older
 * artifact: drift cannot be measured, nothing else changes). A file that is there but unreadable or
 * does not match this build's inputs throws ModelArtifactError.
 */
export async function loadInputDistribution(dir: string): Promise<InputDistribution | undefined> {
  let text: string;
  try {
    text = await readFile(join(dir, INPUT_DISTRIBUTION_FILE), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ModelArtifactError(dir, [
      `cannot read ${INPUT_DISTRIBUTION_FILE}: ${(error as Error).message}`,
    ]);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ModelArtifactError(dir, [
      `${INPUT_DISTRIBUTION_FILE} is not JSON: ${(error as Error).message}`,
    ]);
  }
  const result = inputDistributionSchema.safeParse(parsed);
  if (!result.success) {
    throw new ModelArtifactError(
      dir,
      result.error.issues.map(
        (i) => `${INPUT_DISTRIBUTION_FILE}: ${i.path.join('.') || '(root)'}: ${i.message}`,
      ),
    );
  }
  const problems = distributionProblems(result.data);
  if (problems.length > 0)
    throw new ModelArtifactError(
      dir,
      problems.map((p) => `${INPUT_DISTRIBUTION_FILE}: ${p}`),
    );
  return result.data;
}

/** Writes input-distribution.json into an artifact folder (through a temporary file, renamed into place). */
export async function writeInputDistribution(dir: string, distribution: InputDistribution): Promise<void> {
  const file = join(dir, INPUT_DISTRIBUTION_FILE);
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(distribution, null, 2)}\n`);
  await rename(tmp, file);
}
