import { logisticInputs, predictLogistic } from './baselines.ts';
import type { Dataset, SkipCounts } from './dataset.ts';
import type { BaselinesState } from './metadata.ts';
import { argmaxRows, type ClassificationMetrics, classificationMetrics } from './metrics.ts';
import { REGIME_COUNT, REGIME_LABELS, REGIMES, type Regime } from './regimes.ts';
import { applyScaler, type ScalerState } from './scaler.ts';
import type { tf } from './tensorflow.ts';
import { networkInputs, predictProbabilities } from './train.ts';

export const CLASSIFIERS = ['lstm', 'majority', 'persistence', 'logistic'] as const;
export type Classifier = (typeof CLASSIFIERS)[number];

export const CLASSIFIER_NAMES: Record<Classifier, string> = {
  lstm: 'LSTM (this model)',
  majority: 'Majority class',
  persistence: 'Persistence (labeler on the window ending at T)',
  logistic: 'Logistic regression on the newest feature row and the calendar',
};

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
  results: Record<Classifier, ClassificationMetrics>;
  seconds: number;
}

/** Runs the LSTM and the three baselines on the same samples. */
export function evaluateClassifiers(
  model: tf.LayersModel,
  scaler: ScalerState,
  baselines: BaselinesState,
  dataset: Dataset,
): Record<Classifier, ClassificationMetrics> {
  const inputs = networkInputs(applyScaler(scaler, dataset.windows), dataset);
  const lstmProbabilities = predictProbabilities(model, inputs);
  const logisticProbabilities = predictLogistic(baselines.logistic, logisticInputs(inputs));
  const majority = new Uint8Array(dataset.size).fill(baselines.majorityClass);
  return {
    lstm: classificationMetrics(dataset.labels, argmaxRows(lstmProbabilities), lstmProbabilities),
    majority: classificationMetrics(dataset.labels, majority),
    persistence: classificationMetrics(dataset.labels, dataset.persistence),
    logistic: classificationMetrics(dataset.labels, argmaxRows(logisticProbabilities), logisticProbabilities),
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
  return (['majority', 'persistence', 'logistic'] as const).reduce((a, b) =>
    results[b].macroF1 > results[a].macroF1 ? b : a,
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
  lines.push('| classifier | macro-F1 | accuracy | ECE |', '| --- | ---: | ---: | ---: |');
  for (const c of CLASSIFIERS) {
    lines.push(
      `| ${CLASSIFIER_NAMES[c]} | ${num(r[c].macroF1)} | ${pct(r[c].accuracy)} | ${r[c].ece === null ? 'n/a' : num(r[c].ece)} |`,
    );
  }
  const margin = r.lstm.macroF1 - r[best].macroF1;
  lines.push(
    '',
    `LSTM macro-F1 minus the best baseline (${CLASSIFIER_NAMES[best]}): **${signed(margin)}**${margin > 0 ? '' : ' — the LSTM does NOT beat this baseline'}.`,
    '',
  );
  lines.push(
    '### Per class (F1; precision / recall)',
    '',
    '| regime | share | LSTM | majority | persistence | logistic | LSTM − best baseline F1 |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  );
  for (const regime of REGIMES) {
    const cell = (c: Classifier) => {
      const m = r[c].perClass[regime];
      return `${num(m.f1)} (${num(m.precision)} / ${num(m.recall)})`;
    };
    const bestF1 = Math.max(
      r.majority.perClass[regime].f1,
      r.persistence.perClass[regime].f1,
      r.logistic.perClass[regime].f1,
    );
    const diff = r.lstm.perClass[regime].f1 - bestF1;
    lines.push(
      `| ${REGIME_LABELS[regime]} | ${pct(report.classShare[regime])} | ${cell('lstm')} | ${cell('majority')} | ${cell('persistence')} | ${cell('logistic')} | ${signed(diff)}${diff > 0 ? '' : ' ✗'} |`,
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
    `Skipped instants: ${s.labelGap} (label needs a missing candle), ${s.featureGap} (feature window crosses a gap), ${s.featureWarmup} (not enough warm-up). Data hash ${report.data.dataHash.slice(0, 16)}…; evaluated in ${report.seconds.toFixed(1)} s.`,
    '',
  );
  return lines.join('\n');
}
