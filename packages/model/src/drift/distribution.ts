import { z } from 'zod';
import type { Dataset } from '../dataset.ts';
import { evenSubsample } from '../period-data.ts';
import { DRIFT_INPUT_NAMES, InputColumns } from './input-names.ts';
import { binFractions, decileEdges, psi } from './psi.ts';

/**
 * The training distribution of every model input (input-names.ts): decile edges and the training
 * values' fraction in each bin (not assumed 10 %: ties make some bins larger). PSI of recent values
 * against it is the drift measure (psi.ts).
 */
export const INPUT_DISTRIBUTION_FORMAT = 1;

/** Training instants the distribution is computed from, evenly spread over the training split. */
export const DISTRIBUTION_MAX_SAMPLES = 50_000;

const inputSchema = z.object({
  name: z.string(),
  edges: z.array(z.number()),
  fractions: z.array(z.number().min(0).max(1)),
});

export const inputDistributionSchema = z.object({
  format: z.literal(INPUT_DISTRIBUTION_FORMAT),
  modelVersion: z.string().min(1),
  binning: z.literal('deciles'),
  /** Where the values came from: the training split, its stride and how many instants. */
  source: z.object({
    symbols: z.array(z.string()),
    from: z.string(),
    to: z.string(),
    strideMinutes: z.number().int().positive(),
    instants: z.number().int().positive(),
    note: z.string(),
  }),
  inputs: z.array(inputSchema),
});

export type InputDistribution = z.infer<typeof inputDistributionSchema>;
export type InputDistributionSource = InputDistribution['source'];

/** Problems of a parsed distribution against this build's inputs; empty when usable. */
export function distributionProblems(d: InputDistribution): string[] {
  const problems: string[] = [];
  const names = d.inputs.map((i) => i.name);
  if (names.length !== DRIFT_INPUT_NAMES.length || names.some((n, i) => n !== DRIFT_INPUT_NAMES[i])) {
    const at = DRIFT_INPUT_NAMES.findIndex((n, i) => names[i] !== n);
    problems.push(
      `inputs differ from this build's ${DRIFT_INPUT_NAMES.length} model inputs (position ${at}: "${names[at] ?? '(missing)'}" where "${DRIFT_INPUT_NAMES[at]}" is expected)`,
    );
  }
  for (const input of d.inputs) {
    if (input.fractions.length !== input.edges.length + 1)
      problems.push(`${input.name}: ${input.fractions.length} fractions for ${input.edges.length} edges`);
    if (input.edges.some((e, i) => i > 0 && !(e > input.edges[i - 1]!)))
      problems.push(`${input.name}: edges are not strictly ascending`);
    const total = input.fractions.reduce((a, b) => a + b, 0);
    if (Math.abs(total - 1) > 1e-6) problems.push(`${input.name}: fractions sum to ${total}, not 1`);
  }
  return problems;
}

/** The distribution of filled columns (one per input, DRIFT_INPUT_NAMES order). */
export function distributionOfColumns(
  columns: InputColumns,
  modelVersion: string,
  source: Omit<InputDistributionSource, 'instants'>,
): InputDistribution {
  if (columns.instants === 0) throw new Error('no instants to compute the input distribution from');
  return {
    format: INPUT_DISTRIBUTION_FORMAT,
    modelVersion,
    binning: 'deciles',
    source: { ...source, instants: columns.instants },
    inputs: DRIFT_INPUT_NAMES.map((name, i) => {
      const values = columns.values(i);
      const edges = decileEdges(values);
      return { name, edges, fractions: binFractions(edges, values) };
    }),
  };
}

/**
 * The training distribution from the (unscaled) training dataset: at most DISTRIBUTION_MAX_SAMPLES
 * instants evenly spread over it (deciles of 50 000 values are exact to a fraction of a percent).
 */
export function inputDistributionOf(
  train: Dataset,
  modelVersion: string,
  source: Omit<InputDistributionSource, 'instants'>,
): InputDistribution {
  const indices = evenSubsample(train.size, DISTRIBUTION_MAX_SAMPLES);
  const columns = new InputColumns(indices.length);
  columns.addDatasetSamples(train, indices);
  return distributionOfColumns(columns, modelVersion, source);
}

/** One input's PSI over recent values. */
export interface InputPsi {
  feature: string;
  psi: number;
}

/** Every input's PSI of the filled columns against the training distribution, in DRIFT_INPUT_NAMES order. */
export function inputPsi(distribution: InputDistribution, recent: InputColumns): InputPsi[] {
  const problems = distributionProblems(distribution);
  if (problems.length > 0) throw new Error(`input distribution refused: ${problems.join('; ')}`);
  if (recent.instants === 0) throw new Error('no recent instants to compare with the training distribution');
  return distribution.inputs.map((input, i) => ({
    feature: input.name,
    psi: psi(input.fractions, binFractions(input.edges, recent.values(i))),
  }));
}
