import { REGIME_COUNT, REGIME_LABELS, REGIMES, type Regime } from '@regime/labeler';
import { logisticInputs, predictLogistic } from './baselines.ts';
import type { Dataset, SkipCounts } from './dataset.ts';
import { type DecisionRule, decideSamples } from './decision.ts';
import type { BaselinesState } from './metadata.ts';
import { argmaxRows, type ClassificationMetrics, classificationMetrics } from './metrics.ts';
import { applyScaler, type ScalerState } from './scaler.ts';
import {
  type DetectionDelay,
  detectionDelay,
  meanRunMinutes,
  type SampleClock,
  switchesPerDay,
} from './stability.ts';
import type { tf } from './tensorflow.ts';
import { networkInputs, predictProbabilities } from './train.ts';

export const CLASSIFIERS = ['lstm', 'lstmArgmax', 'majority', 'logistic', 'rules', 'causal'] as const;
export type Classifier = (typeof CLASSIFIERS)[number];
export const BASELINES = ['majority', 'logistic', 'rules', 'causal'] as const;

export const CLASSIFIER_NAMES: Record<Classifier, string> = {
  lstm: 'LSTM (this model, with its decision layer)',
  lstmArgmax: "LSTM's argmax (without the decision layer)",
  majority: 'Majority class',
  logistic: 'Logistic regression on the newest feature row and the calendar',
  rules: "Today's trailing-window rules (labeler 1 on the 4 h ending at T)",
  causal: 'Causal segmentation (labeler 2 on the data up to T, last state)',
};

/** Accuracy and calibration, plus how persistent and how timely the written regime is. */
export interface ClassifierResult extends ClassificationMetrics {
  switchesPerDay: number;
  medianDetectionDelayMinutes: number | null;
  /** Share of label switches the classifier caught before the new segment ended. */
  detectedShare: number;
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
  results: Record<Classifier, ClassifierResult>;
  seconds: number;
}

/** Runs the LSTM and the four baselines on the same samples. */
export function evaluateClassifiers(
  model: tf.LayersModel,
  scaler: ScalerState,
  baselines: BaselinesState,
  dataset: Dataset,
  strideMinutes: number,
  decision: DecisionRule,
): Record<Classifier, ClassifierResult> {
  const inputs = networkInputs(applyScaler(scaler, dataset.windows), dataset);
  const lstmProbabilities = predictProbabilities(model, inputs);
  const logisticProbabilities = predictLogistic(baselines.logistic, logisticInputs(inputs));
  const clock = sampleClock(dataset, strideMinutes);
  const result = (predicted: Uint8Array, probabilities?: Float32Array | Float64Array): ClassifierResult => ({
    ...classificationMetrics(dataset.labels, predicted, probabilities),
    switchesPerDay: switchesPerDay(clock, predicted),
    ...delayFields(detectionDelay(clock, dataset.labels, predicted)),
  });
  return {
    lstm: result(decideSamples(lstmProbabilities, clock, decision), lstmProbabilities),
    lstmArgmax: result(argmaxRows(lstmProbabilities), lstmProbabilities),
    majority: result(new Uint8Array(dataset.size).fill(baselines.majorityClass)),
    logistic: result(argmaxRows(logisticProbabilities), logisticProbabilities),
    rules: result(dataset.rules),
    causal: result(dataset.causal),
  };
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

const pct = (v: number) => `${(v * 100).toFixed(1)}%`;
const num = (v: number) => v.toFixed(3);
const signed = (v: number) => `${v >= 0 ? '+' : ''}${v.toFixed(3)}`;

/** The strongest baseline by macro-F1. */
export function bestBaseline(results: Record<Classifier, ClassificationMetrics>): Classifier {
  return BASELINES.reduce<Classifier>(
    (a, b) => (results[b].macroF1 > results[a].macroF1 ? b : a),
    BASELINES[0],
  );
}

/** The report as markdown: headline table, per-class comparison, confusion matrix, data. */
export function renderReportMarkdown(report: EvaluationReport): string {
  const r = report.results;
  const best = bestBaseline(r);
  const lines: string[] = [];
  lines.push(`## Test evaluation of ${report.model.version}`, '');
  lines.push(
    `${report.data.samples} samples: ${report.data.symbols.join(', ')}, as-of instants every ${report.data.strideMinutes} min from ${report.data.from} to ${report.data.to} (${report.data.source}).`,
    '',
  );
  lines.push(
    '| classifier | macro-F1 | accuracy | ECE | switches / day | median detection delay | switches detected |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  );
  for (const c of CLASSIFIERS) {
    const delay = r[c].medianDetectionDelayMinutes;
    lines.push(
      `| ${CLASSIFIER_NAMES[c]} | ${num(r[c].macroF1)} | ${pct(r[c].accuracy)} | ${r[c].ece === null ? 'n/a' : num(r[c].ece)} | ${r[c].switchesPerDay.toFixed(2)} | ${delay === null ? 'n/a (most missed)' : `${delay.toFixed(0)} min`} | ${pct(r[c].detectedShare)} |`,
    );
  }
  const l = report.labels;
  lines.push(
    '',
    `The labels themselves (labeler 2's regime at T) switch ${l.switchesPerDay.toFixed(2)} times a day on these samples (${l.switches} switches); their mean run is ${(l.meanRunMinutes / 60).toFixed(1)} h.`,
  );
  const margin = r.lstm.macroF1 - r[best].macroF1;
  lines.push(
    '',
    `LSTM macro-F1 minus the best baseline (${CLASSIFIER_NAMES[best]}): **${signed(margin)}**${margin > 0 ? '' : ' — the LSTM does NOT beat this baseline'}.`,
    '',
  );
  lines.push(
    '### Per class (F1; precision / recall)',
    '',
    `| regime | share | ${CLASSIFIERS.join(' | ')} | LSTM − best baseline F1 |`,
    `| --- | ---: | ${CLASSIFIERS.map(() => '---:').join(' | ')} | ---: |`,
  );
  for (const regime of REGIMES) {
    const cell = (c: Classifier) => {
      const m = r[c].perClass[regime];
      return `${num(m.f1)} (${num(m.precision)} / ${num(m.recall)})`;
    };
    const bestF1 = Math.max(...BASELINES.map((c) => r[c].perClass[regime].f1));
    const diff = r.lstm.perClass[regime].f1 - bestF1;
    lines.push(
      `| ${REGIME_LABELS[regime]} | ${pct(report.classShare[regime])} | ${CLASSIFIERS.map(cell).join(' | ')} | ${signed(diff)}${diff > 0 ? '' : ' ✗'} |`,
    );
  }
  lines.push('', '### LSTM confusion matrix (rows: true, columns: predicted)', '');
  lines.push(`| true \\ predicted | ${REGIMES.map((x) => REGIME_LABELS[x]).join(' | ')} |`);
  lines.push(`| --- | ${REGIMES.map(() => '---:').join(' | ')} |`);
  REGIMES.forEach((regime, k) => {
    lines.push(`| ${REGIME_LABELS[regime]} | ${r.lstm.confusion[k]!.join(' | ')} |`);
  });
  const s = report.data.skipped;
  lines.push(
    '',
    `Skipped instants: ${s.labelGap} (label needs a missing candle), ${s.labelUnsettled} (too near the end of the data for the label to have settled), ${s.featureGap} (feature window crosses a gap), ${s.featureWarmup} (not enough warm-up). Data hash ${report.data.dataHash.slice(0, 16)}…; evaluated in ${report.seconds.toFixed(1)} s.`,
    '',
  );
  return lines.join('\n');
}
