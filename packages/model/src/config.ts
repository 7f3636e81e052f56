import { parseSymbol } from '@regime/candles';
import { DEFAULT_LABELER_PARAMS, isRegime, type LabelerParams } from '@regime/labeler';
import { z } from 'zod';
import { DEFAULT_NETWORK } from './network.ts';

/**
 * The training configuration file (JSON) of `regime-model train`; see train.default.json. Dates are
 * UTC days (YYYY-MM-DD) or ISO instants; `to` is exclusive.
 */

const DAY_MS = 86_400_000;

const instant = z.string().transform((s, ctx) => {
  const t = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(s) ? `${s}T00:00:00Z` : s);
  if (Number.isNaN(t)) {
    ctx.addIssue({ code: 'custom', message: `"${s}" is not a date (YYYY-MM-DD or ISO 8601)` });
    return z.NEVER;
  }
  return t;
});

const symbol = z.string().transform((s, ctx) => {
  try {
    return parseSymbol(s);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: (error as Error).message });
    return z.NEVER;
  }
});

const stride = z
  .number()
  .int()
  .positive()
  .refine((m) => m % 5 === 0, 'stride must be a multiple of 5 minutes');

export const trainConfigSchema = z.object({
  symbols: z.array(symbol).min(1),
  from: instant,
  to: instant,
  /** Start of the validation period; default: `from` + trainFraction of the period. */
  validationFrom: instant.optional(),
  /** Start of the test period; default: the last testFraction of the period. */
  testFrom: instant.optional(),
  validationFraction: z.number().gt(0).lt(1).default(0.15),
  testFraction: z.number().gt(0).lt(1).default(0.15),
  /** Left out before the validation and the test periods, so no label horizon crosses a split. */
  splitGapHours: z.number().positive().default(24),
  strideMinutes: z
    .object({ train: stride.default(60), validation: stride.default(60), test: stride.default(15) })
    .prefault({}),
  /** Cap on training samples (an evenly spaced subsample), to bound training time. */
  maxTrainSamples: z.number().int().positive().optional(),
  labeler: z
    .object({
      thresholds: z.object({}).catchall(z.number()).optional(),
      /** Overrides of the segmentation's switching cost and per-regime cost offsets. */
      switchCost: z.number().nonnegative().optional(),
      offsets: z.object({}).catchall(z.number()).optional(),
    })
    .prefault({}),
  model: z
    .object({
      units: z.number().int().positive().default(DEFAULT_NETWORK.units),
      groupBars: z.number().int().positive().default(DEFAULT_NETWORK.groupBars),
      windowUnits: z.number().int().positive().default(DEFAULT_NETWORK.windowUnits),
      hidden: z.number().int().positive().default(DEFAULT_NETWORK.hidden),
      dropout: z.number().min(0).lt(1).default(DEFAULT_NETWORK.dropout),
      seed: z.number().int().default(DEFAULT_NETWORK.seed),
      learningRate: z.number().positive().default(0.002),
      batchSize: z.number().int().positive().default(64),
      maxEpochs: z.number().int().positive().default(8),
      patience: z.number().int().positive().default(3),
    })
    .prefault({}),
  /** Smoke check recorded in the artifact: a small fixed evaluation a test can recompute quickly. */
  smoke: z.object({ symbol, from: instant, to: instant, strideMinutes: stride }).optional(),
});

export type TrainConfig = z.infer<typeof trainConfigSchema>;

export interface Period {
  from: number;
  to: number;
}

export interface SplitPeriods {
  train: Period;
  validation: Period;
  test: Period;
}

export function parseTrainConfig(text: string, source: string): TrainConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new Error(`${source}: not valid JSON: ${(error as Error).message}`);
  }
  const result = trainConfigSchema.safeParse(raw);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `  - ${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new Error(`${source}: invalid training config:\n${problems.join('\n')}`);
  }
  return result.data;
}

export function labelerParams(config: TrainConfig): LabelerParams {
  const thresholds = { ...DEFAULT_LABELER_PARAMS.thresholds };
  for (const [key, value] of Object.entries(config.labeler.thresholds ?? {})) {
    if (!(key in thresholds)) throw new Error(`labeler.thresholds.${key}: unknown threshold`);
    thresholds[key as keyof typeof thresholds] = value;
  }
  const segmentation = {
    ...DEFAULT_LABELER_PARAMS.segmentation,
    offsets: { ...DEFAULT_LABELER_PARAMS.segmentation.offsets },
  };
  if (config.labeler.switchCost !== undefined) segmentation.switchCost = config.labeler.switchCost;
  for (const [key, value] of Object.entries(config.labeler.offsets ?? {})) {
    if (!isRegime(key)) throw new Error(`labeler.offsets.${key}: unknown regime`);
    segmentation.offsets[key] = value;
  }
  return { ...DEFAULT_LABELER_PARAMS, thresholds, segmentation };
}

/**
 * Chronological train / validation / test periods with `splitGapHours` left out before the
 * validation and the test periods. The gap must be at least the label horizon, so the last training
 * label's horizon ends before the first validation instant.
 */
export function splitPeriods(config: TrainConfig, horizonMs: number): SplitPeriods {
  const { from, to } = config;
  if (!(from < to)) throw new Error('from must be before to');
  const span = to - from;
  const day = (t: number) => Math.round(t / DAY_MS) * DAY_MS;
  const testFrom = config.testFrom ?? day(to - span * config.testFraction);
  const validationFrom = config.validationFrom ?? day(testFrom - span * config.validationFraction);
  const gap = config.splitGapHours * 3_600_000;
  if (gap < horizonMs) {
    throw new Error(
      `splitGapHours ${config.splitGapHours} is shorter than the label horizon (${horizonMs / 3_600_000} h)`,
    );
  }
  const periods: SplitPeriods = {
    train: { from, to: validationFrom - gap },
    validation: { from: validationFrom, to: testFrom - gap },
    test: { from: testFrom, to },
  };
  for (const [name, p] of Object.entries(periods)) {
    if (!(p.from < p.to)) {
      throw new Error(
        `the ${name} period is empty (${new Date(p.from).toISOString()} .. ${new Date(p.to).toISOString()})`,
      );
    }
  }
  return periods;
}
