import { z } from 'zod';
import type { Dataset } from '../dataset.ts';
import { evenSubsample } from '../period-data.ts';
import { DRIFT_INPUT_NAMES, InputColumns } from './input-names.ts';
import { binFractions, decileEdges, PSI_MAJOR, psi } from './psi.ts';

/**
 * The training distribution of every model input (input-names.ts): decile edges and the training
 * values' fraction in each bin (not assumed 10 %: ties make some bins larger). PSI of recent values
 * against it is the drift measure (psi.ts).
 */
export const INPUT_DISTRIBUTION_FORMAT = 1;

/** Training instants the distribution is computed from, evenly spread over the training split. */
export const DISTRIBUTION_MAX_SAMPLES = 50_000;

/**
 * How large this input's 24-hour PSI is on ordinary days of the training split itself (the same
 * 288-instant windows driftAsOf reads, PSI against this distribution): a day of one symbol covers a
 * narrow part of years of nine symbols, so slow inputs (1h indicators, 15-day percentiles, the day
 * of the week) have PSIs far above 0.25 on days the model was trained on. Drift is a PSI above
 * what such days show.
 */
const calibrationSchema = z.object({
  days: z.number().int().positive(),
  p50: z.number().min(0),
  p90: z.number().min(0),
  p99: z.number().min(0),
});

const inputSchema = z.object({
  name: z.string(),
  edges: z.array(z.number()),
  fractions: z.array(z.number().min(0).max(1)),
  calibration: calibrationSchema.optional(),
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
export type InputCalibration = z.infer<typeof calibrationSchema>;
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

/** Quantile q of ascending values (the smallest value with at least that share ≤ it). */
function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)]!;
}

/**
 * The distribution with each input's calibration: `dayPsis[k]` are the inputs' PSIs of training
 * day k (inputPsi of that day's 288 instants, DRIFT_INPUT_NAMES order).
 */
export function withCalibration(
  distribution: InputDistribution,
  dayPsis: readonly InputPsi[][],
): InputDistribution {
  if (dayPsis.length === 0) throw new Error('no training days to calibrate the drift thresholds on');
  return {
    ...distribution,
    inputs: distribution.inputs.map((input, i) => {
      const sorted = dayPsis.map((day) => day[i]!.psi).sort((a, b) => a - b);
      return {
        ...input,
        calibration: {
          days: sorted.length,
          p50: quantile(sorted, 0.5),
          p90: quantile(sorted, 0.9),
          p99: quantile(sorted, 0.99),
        },
      };
    }),
  };
}

/**
 * The PSI above which an input has drifted: the customary 0.25, or the 99th percentile of its PSI on
 * training days when that is higher (an input whose ordinary days already exceed 0.25 drifts only
 * beyond them). Without a calibration, 0.25.
 */
export function majorDriftThreshold(input: InputDistribution['inputs'][number]): number {
  return Math.max(PSI_MAJOR, input.calibration?.p99 ?? 0);
}

/** Every input's major-drift threshold by name. */
export function majorDriftThresholds(distribution: InputDistribution): Map<string, number> {
  return new Map(distribution.inputs.map((input) => [input.name, majorDriftThreshold(input)]));
}

/** Start instants of `count` 24-hour windows evenly spread over [from, to − 24 h], on 5-minute boundaries. */
export function calibrationDays(from: number, to: number, count: number): number[] {
  const day = 86_400_000;
  const last = to - day;
  if (last < from) return [];
  const n = Math.min(count, Math.floor((last - from) / day) + 1);
  const step = n > 1 ? (last - from) / (n - 1) : 0;
  return Array.from({ length: n }, (_, k) => Math.ceil((from + k * step) / 300_000) * 300_000);
}
