import { REGIME_COUNT, REGIMES, type Regime } from '@regime/labeler';
import { logisticInputs, predictLogistic, viewLogisticInputs } from './baselines.ts';
import { lateFusion } from './causal.ts';
import type { Dataset, SkipCounts } from './dataset.ts';
import {
  DECISION_GRID,
  type DecisionRule,
  type DecisionScore,
  decideSamples,
  scoreDecisionGrid,
  scoredSubset,
} from './decision.ts';
import type { KernelNetwork } from './kernel/index.ts';
import type { BaselinesState } from './metadata.ts';
import { argmaxRows, type ClassificationMetrics, classificationMetrics, macroF1 } from './metrics.ts';
import { networkInputs, networkProbabilities } from './network-inputs.ts';
import { selectRows, selectSamples } from './period-data.ts';
import { type RegimeProfile, regimeProfile } from './profile.ts';
import type { ModelScalers } from './scaler.ts';
import {
  type DetectionDelay,
  detectionDelay,
  meanRunMinutes,
  type SampleClock,
  switchesPerDay,
} from './stability.ts';

export const CLASSIFIERS = [
  'model',
  'modelArgmax',
  'majority',
  'logistic',
  'logisticView',
  'rules',
  'causal',
  'causalBest',
  'hybrid',
] as const;
export type Classifier = (typeof CLASSIFIERS)[number];
/** What the model must beat. The hybrid is a reference (it contains the model), not a baseline. */
export const BASELINES = ['majority', 'logistic', 'logisticView', 'rules', 'causal', 'causalBest'] as const;

export function classifierNames(baselines: BaselinesState): Record<Classifier, string> {
  return {
    model: 'the model, written regime (with its decision layer)',
    modelArgmax: "the model's argmax (without the decision layer)",
    majority: 'majority class',
    logistic: 'logistic regression on the newest feature row and the calendar',
    logisticView: "logistic regression on the labeler's view (summary, newest 4 h of bars, calendar)",
    rules: "today's trailing-window rules (labeler 1 on the 4 h ending at T)",
    causal: 'causal segmentation at the labeler’s λ (labeler 2 on the data up to T, last state)',
    causalBest: `causal segmentation at λ ${baselines.causalLambda} (best on validation)`,
    hybrid: `reference: causal filter + model, late fusion (λ ${baselines.fusion.lambda}, w ${baselines.fusion.weight}, chosen on validation)`,
  };
}

/** Accuracy and calibration, plus how persistent and how timely the written regime is. */
export interface ClassifierResult extends ClassificationMetrics {
  switchesPerDay: number;
  medianDetectionDelayMinutes: number | null;
  /** Share of label switches the classifier caught before the new segment ended. */
  detectedShare: number;
  /** Macro-F1 and samples per symbol. */
  perSymbol: Record<string, { samples: number; macroF1: number }>;
}

export interface EvaluationReport {
  model: { version: string; trainedOn: string[]; trainPeriod: { from: string; to: string } };
  data: {
    source: string;
    symbols: string[];
    from: string;
    to: string;
    strideMinutes: number;
    samples: number;
    skipped: SkipCounts;
    dataHash: string;
  };
  /** Share of each true regime among the evaluated samples. */
  classShare: Record<Regime, number>;
  /** How persistent the target itself is on these samples. */
  labels: { switchesPerDay: number; meanRunMinutes: number; switches: number };
  /** What each classifier is, with the settings the artifact chose for it. */
  classifierNames: Record<Classifier, string>;
  results: Record<Classifier, ClassifierResult>;
  /** The model's decision rule, and every setting of the tuning grid scored on these samples. */
  decision: { rule: DecisionRule; grid: DecisionScore[] };
  /** What each regime meant for the next 4 hours, per classifier (profile.ts). */
  profile: Record<'written' | 'labels' | 'causal', RegimeProfile>;
  seconds: number;
}

export interface Evaluation {
  results: Record<Classifier, ClassifierResult>;
  decisionGrid: DecisionScore[];
  profile: EvaluationReport['profile'];
}

/**
 * Runs the model (on the inference kernel, as the predictor does), its baselines and the hybrid reference on the same samples: the `scored` samples of
 * `withLeadIn` (default: all). The samples before them are the decision layer's lead-in: their
 * answers are the earlier windows the written regime of the first scored instants reads, as the
 * predictor reads them.
 */
export function evaluateClassifiers(
  network: KernelNetwork,
  scalers: ModelScalers,
  baselines: BaselinesState,
  withLeadIn: Dataset,
  strideMinutes: number,
  decision: DecisionRule,
  scored: ArrayLike<number> = Uint32Array.from({ length: withLeadIn.size }, (_, i) => i),
): Evaluation {
  const allProbabilities = networkProbabilities(network, networkInputs(scalers, withLeadIn));
  const allClock = sampleClock(withLeadIn, strideMinutes);
  const dataset = selectSamples(withLeadIn, scored);
  const probabilities = selectRows(allProbabilities, scored, REGIME_COUNT);
  const written = Uint8Array.from(scoredSubset(decideSamples(allProbabilities, allClock, decision), scored));
  const inputs = networkInputs(scalers, dataset);
  const logistic = predictLogistic(baselines.logistic, logisticInputs(inputs));
  const logisticView = predictLogistic(baselines.logisticView, viewLogisticInputs(inputs));
  const clock = sampleClock(dataset, strideMinutes);
  const result = (predicted: Uint8Array, p?: Float32Array | Float64Array): ClassifierResult => ({
    ...classificationMetrics(dataset.labels, predicted, p),
    switchesPerDay: switchesPerDay(clock, predicted),
    ...delayFields(detectionDelay(clock, dataset.labels, predicted)),
    perSymbol: perSymbol(dataset, predicted),
  });
  return {
    results: {
      model: result(written, probabilities),
      modelArgmax: result(argmaxRows(probabilities), probabilities),
      majority: result(new Uint8Array(dataset.size).fill(baselines.majorityClass)),
      logistic: result(argmaxRows(logistic), logistic),
      logisticView: result(argmaxRows(logisticView), logisticView),
      rules: result(dataset.rules),
      causal: result(dataset.causal),
      causalBest: result(lateFusion(dataset, undefined, baselines.causalLambda, 0)),
      hybrid: result(lateFusion(dataset, probabilities, baselines.fusion.lambda, baselines.fusion.weight)),
    },
    decisionGrid: scoreDecisionGrid(allProbabilities, withLeadIn.labels, allClock, DECISION_GRID, scored),
    profile: {
      written: regimeProfile(dataset, written),
      labels: regimeProfile(dataset, dataset.labels),
      causal: regimeProfile(dataset, dataset.causal),
    },
  };
}

function perSymbol(dataset: Dataset, predicted: Uint8Array): ClassifierResult['perSymbol'] {
  const out: ClassifierResult['perSymbol'] = {};
  dataset.symbols.forEach((symbol, s) => {
    const truth: number[] = [];
    const guess: number[] = [];
    for (let i = 0; i < dataset.size; i++) {
      if (dataset.symbolIndex[i] !== s) continue;
      truth.push(dataset.labels[i]!);
      guess.push(predicted[i]!);
    }
    if (truth.length > 0) out[symbol] = { samples: truth.length, macroF1: macroF1(truth, guess) };
  });
  return out;
}

function delayFields(
  d: DetectionDelay,
): Pick<ClassifierResult, 'medianDetectionDelayMinutes' | 'detectedShare'> {
  return { medianDetectionDelayMinutes: d.medianMinutes, detectedShare: d.detectedShare };
}

export function sampleClock(dataset: Dataset, strideMinutes: number): SampleClock {
  return { asOf: dataset.asOf, symbolIndex: dataset.symbolIndex, strideMs: strideMinutes * 60_000 };
}

/** The target's own persistence on the evaluated samples. */
export function labelStability(dataset: Dataset, strideMinutes: number): EvaluationReport['labels'] {
  const clock = sampleClock(dataset, strideMinutes);
  return {
    switchesPerDay: switchesPerDay(clock, dataset.labels),
    meanRunMinutes: meanRunMinutes(clock, dataset.labels),
    switches: detectionDelay(clock, dataset.labels, dataset.labels).switches,
  };
}

export function classShare(labels: Uint8Array): Record<Regime, number> {
  const counts = new Array<number>(REGIME_COUNT).fill(0);
  for (const l of labels) counts[l]!++;
  return Object.fromEntries(
    REGIMES.map((r, k) => [r, labels.length > 0 ? counts[k]! / labels.length : 0]),
  ) as Record<Regime, number>;
}

/** The strongest baseline by macro-F1. */
export function bestBaseline(results: Record<Classifier, ClassificationMetrics>): Classifier {
  return BASELINES.reduce<Classifier>(
    (a, b) => (results[b].macroF1 > results[a].macroF1 ? b : a),
    BASELINES[0],
  );
}
