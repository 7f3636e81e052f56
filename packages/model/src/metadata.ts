import type { LabelerParams } from '@regime/labeler';
import { z } from 'zod';
import type { LogisticState } from './baselines.ts';
import type { NetworkConfig } from './network.ts';
import type { EpochReport } from './train.ts';

/**
 * Bumped when the artifact layout changes; loading refuses any other value. Format 3: inputs window +
 * calendar. Format 4: window + calendar + the labeler's view (view_summary, view_bars).
 */
export const ARTIFACT_FORMAT = 4;

/** The inputs each format's network reads, for the message that refuses another layout. */
export const FORMAT_INPUTS: Record<number, string> = {
  3: 'window (64 × 36) + calendar',
  4: 'window (64 × 36) + calendar + view_summary + view_bars (the labeler’s causal view)',
};

const period = z.object({ from: z.string(), to: z.string() });

const thresholds = z.object({
  spikeVolRatio: z.number(),
  spikeVolPercentile: z.number(),
  strongEfficiency: z.number(),
  strongNetAtr: z.number(),
  weakEfficiency: z.number(),
  weakNetAtr: z.number(),
  choppyVolPercentile: z.number(),
  squeezeBbPercentile: z.number(),
  squeezeRangeAtr: z.number(),
});

/** A small, fixed evaluation recorded at training time; a test recomputes it from the saved artifact. */
const smokeCheck = z.object({
  symbol: z.string(),
  from: z.string(),
  to: z.string(),
  strideMinutes: z.number(),
  samples: z.number(),
  accuracy: z.number(),
  macroF1: z.number(),
  /** Sum over samples of the predicted class probability of the true class: sensitive to every output. */
  trueClassProbabilitySum: z.number(),
});

export const metadataSchema = z.object({
  format: z.literal(ARTIFACT_FORMAT),
  version: z.string().min(1),
  createdAt: z.string(),
  featureNames: z.array(z.string()),
  /** FEATURES_VERSION of the packages/features build the model was trained with. */
  featuresVersion: z.number().int(),
  /** The calendar inputs of the as-of instant (calendar.ts), in order. */
  calendarNames: z.array(z.string()),
  intervals: z.array(z.string()),
  primaryInterval: z.string(),
  steps: z.number().int().positive(),
  /** The labeler view's input names (@regime/labeler view.ts) and its bar count. */
  view: z.object({
    summaryNames: z.array(z.string()),
    barNames: z.array(z.string()),
    bars: z.number().int().positive(),
  }),
  /** Regime ids in softmax output order. */
  regimes: z.array(z.string()),
  labeler: z.object({
    version: z.string(),
    params: z.object({
      baseCandlesPerBar: z.number().int(),
      windowBars: z.number().int(),
      historyBlocks: z.number().int(),
      atrBlocks: z.number().int(),
      thresholds,
      segmentation: z.object({
        switchCost: z.number().nonnegative(),
        scales: z.object({
          efficiency: z.number().positive(),
          netAtr: z.number().positive(),
          logVolRatio: z.number().positive(),
          volPercentile: z.number().positive(),
          bbPercentile: z.number().positive(),
          rangeAtr: z.number().positive(),
        }),
        offsets: z.object({
          strong_trend: z.number(),
          weak_trend: z.number(),
          range: z.number(),
          squeeze: z.number(),
          volatility_spike: z.number(),
          choppy_high_vol: z.number(),
        }),
        settleBars: z.number().int().nonnegative(),
        warmupBars: z.number().int().nonnegative(),
      }),
    }),
  }),
  network: z.object({
    groupBars: z.number().int(),
    units: z.number().int(),
    windowUnits: z.number().int(),
    hidden: z.number().int(),
    dropout: z.number(),
    seed: z.number().int(),
  }),
  training: z.object({
    symbols: z.array(z.string()),
    periods: z.object({ train: period, validation: period, test: period }),
    strideMinutes: z.object({ train: z.number(), validation: z.number(), test: z.number() }),
    samples: z.object({ train: z.number(), validation: z.number() }),
    skipped: z.record(z.string(), z.number()),
    classCounts: z.record(z.string(), z.number()),
    classWeights: z.array(z.number()),
    learningRate: z.number(),
    batchSize: z.number(),
    maxEpochs: z.number(),
    patience: z.number(),
    epochs: z.array(
      z.object({
        epoch: z.number(),
        loss: z.number(),
        validationMacroF1: z.number(),
        validationAccuracy: z.number(),
        seconds: z.number(),
        samplesPerSecond: z.number(),
        improved: z.boolean(),
      }),
    ),
    bestEpoch: z.number(),
    trainingSeconds: z.number(),
    samplesPerSecond: z.number(),
    backend: z.string(),
    dataHash: z.string(),
    /** Per-class logit offsets tuned on validation and folded into the output biases (decision-bias.ts). */
    decisionBias: z
      .object({
        model: z.array(z.number()),
        logistic: z.array(z.number()),
        logisticView: z.array(z.number()),
        validationMacroF1: z.object({
          modelBefore: z.number(),
          modelAfter: z.number(),
          logisticBefore: z.number(),
          logisticAfter: z.number(),
          logisticViewBefore: z.number(),
          logisticViewAfter: z.number(),
        }),
      })
      .optional(),
  }),
  /** The decision layer (decision.ts), tuned on validation; one window is the plain argmax. */
  decision: z.object({
    windows: z.number().int().positive(),
    spacingMinutes: z.number().int().positive(),
    margin: z.number().nonnegative(),
    validation: z.object({
      switchLimit: z.number(),
      argmax: z.object({ macroF1: z.number(), switchesPerDay: z.number() }),
      chosen: z.object({ macroF1: z.number(), switchesPerDay: z.number() }),
      grid: z.array(
        z.object({
          windows: z.number(),
          margin: z.number(),
          macroF1: z.number(),
          switchesPerDay: z.number(),
          medianDelayMinutes: z.number().nullable(),
        }),
      ),
    }),
  }),
  metrics: z.object({
    validation: z.object({ macroF1: z.number(), accuracy: z.number() }),
    smoke: smokeCheck.optional(),
  }),
});

export type ModelMetadata = z.infer<typeof metadataSchema>;
export type SmokeCheck = z.infer<typeof smokeCheck>;

/** Compile-time checks that the schema and the in-memory types agree. */
export type MetadataLabelerParams = ModelMetadata['labeler']['params'] extends LabelerParams
  ? LabelerParams
  : never;
export type MetadataNetwork = ModelMetadata['network'] extends NetworkConfig ? NetworkConfig : never;
export type MetadataEpoch = ModelMetadata['training']['epochs'][number] extends EpochReport
  ? EpochReport
  : never;

const oneScaler = z.object({
  featureNames: z.array(z.string()),
  mean: z.array(z.number()),
  std: z.array(z.number().positive()),
  clip: z.number().positive(),
});

export const scalerSchema = z.object({ features: oneScaler, viewSummary: oneScaler, viewBars: oneScaler });

const logistic = z.object({
  featureCount: z.number().int().positive(),
  weights: z.array(z.number()),
  bias: z.array(z.number()),
});

export const baselinesSchema = z.object({
  majorityClass: z.number().int().min(0),
  logistic,
  logisticView: logistic,
  /** The causal segmentation's switching cost of best validation macro-F1 (causal.ts). */
  causalLambda: z.number().positive(),
  /** The late-fusion reference's λ and weight, chosen on validation (causal.ts). */
  fusion: z.object({ lambda: z.number().positive(), weight: z.number().nonnegative() }),
});

export type BaselinesState = {
  majorityClass: number;
  logistic: LogisticState;
  logisticView: LogisticState;
  causalLambda: number;
  fusion: { lambda: number; weight: number };
};
