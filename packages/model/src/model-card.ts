import { REGIME_LABELS, REGIMES } from '@regime/labeler';
import type { EvaluationReport } from './evaluate.ts';
import type { ModelMetadata } from './metadata.ts';
import { decisionGridTable, renderReportMarkdown } from './report-markdown.ts';

/**
 * MODEL_CARD.md is part generated, part written by hand: the generated part sits between these
 * markers and is rebuilt from metadata.json and the evaluation report, so the card's numbers are
 * exactly what `regime-model evaluate` prints (a test checks it).
 */
export const CARD_START = '<!-- generated:start (regime-model card; do not edit by hand) -->';
export const CARD_END = '<!-- generated:end -->';

const num = (v: number) => v.toFixed(3);

/** The generated part of the model card: data, training and the full test evaluation. */
export function renderCardFacts(metadata: ModelMetadata, report: EvaluationReport): string {
  const t = metadata.training;
  const lines: string[] = [];
  lines.push(`## Model ${metadata.version}`, '');
  lines.push(
    `- Network (wide and deep): softmax(6) of the sum of a wide part, a linear map of the labeler's view summary (${metadata.view.summaryNames.length} values: forward values and held bars at each switching cost), its newest 16 bar rows and the ${metadata.calendarNames.length} calendar inputs, started from the fitted logistic baseline on those inputs, and a deep part: the ${metadata.view.bars} view bars × ${metadata.view.barNames.length} columns → ${metadata.view.bars / metadata.network.groupBars} LSTM steps of ${metadata.network.groupBars} bars → LSTM(${metadata.network.units}), beside the ${metadata.steps} × ${metadata.featureNames.length} feature window → dense(${metadata.network.windowUnits}, ReLU), the view summary and the calendar → dense(${metadata.network.hidden}, ReLU) → dropout ${metadata.network.dropout} → linear, started at zero; seed ${metadata.network.seed}.`,
    `- Labeler ${metadata.labeler.version}: segmentation of 15-minute bars with switching cost ${metadata.labeler.params.segmentation.switchCost}, evidence from the ${metadata.labeler.params.windowBars} bars ending at each bar, history ${metadata.labeler.params.historyBlocks} blocks; a label is final ${metadata.labeler.params.segmentation.settleBars / 4} h after its bar (see packages/labeler/REGIMES.md).`,
    `- Trained on ${t.symbols.join(', ')} on the ${t.backend} backend: ${t.epochs.length} epochs (max ${t.maxEpochs}, patience ${t.patience}), best epoch ${t.bestEpoch}, ${(t.trainingSeconds / 60).toFixed(1)} min from the start of the first epoch to the end of the last, ${t.samplesPerSecond.toFixed(0)} training samples/s.`,
    `- Decision layer: ${decisionLine(metadata.decision)}`,
    `- Data: sha256 of the candles used \`${t.dataHash}\`.`,
    '',
    '| split | period | as-of stride | samples |',
    '| --- | --- | ---: | ---: |',
    `| train | ${t.periods.train.from.slice(0, 10)} → ${t.periods.train.to.slice(0, 10)} | ${t.strideMinutes.train} min | ${t.samples.train} |`,
    `| validation | ${t.periods.validation.from.slice(0, 10)} → ${t.periods.validation.to.slice(0, 10)} | ${t.strideMinutes.validation} min | ${t.samples.validation} |`,
    `| test | ${t.periods.test.from.slice(0, 10)} → ${t.periods.test.to.slice(0, 10)} | ${report.data.strideMinutes} min | ${report.data.samples} |`,
    '',
    `Skipped while building train/validation: ${Object.entries(t.skipped)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}.`,
    '',
    '| regime | training samples | class weight |',
    '| --- | ---: | ---: |',
    ...REGIMES.map(
      (r, k) => `| ${REGIME_LABELS[r]} | ${t.classCounts[r] ?? 0} | ${(t.classWeights[k] ?? 0).toFixed(2)} |`,
    ),
    '',
    '| epoch | loss | val macro-F1 | val accuracy | seconds | samples/s |',
    '| ---: | ---: | ---: | ---: | ---: | ---: |',
    ...t.epochs.map(
      (e) =>
        `| ${e.epoch}${e.epoch === t.bestEpoch ? ' (best)' : ''} | ${e.loss.toFixed(4)} | ${num(e.validationMacroF1)} | ${(e.validationAccuracy * 100).toFixed(1)}% | ${e.seconds.toFixed(0)} | ${e.samplesPerSecond.toFixed(0)} |`,
    ),
    '',
  );
  lines.push(...decisionGridLines(metadata.decision));
  lines.push(renderReportMarkdown(report));
  return lines.join('\n');
}

function decisionLine(d: ModelMetadata['decision']): string {
  const v = d.validation;
  const effect = `validation macro-F1 ${num(v.argmax.macroF1)} → ${num(v.chosen.macroF1)}, switches/day ${v.argmax.switchesPerDay.toFixed(2)} → ${v.chosen.switchesPerDay.toFixed(2)} (limit ${v.switchLimit.toFixed(2)}: 1.5 × the labels')`;
  return d.windows === 1 || d.margin === 0
    ? `none (the argmax won on validation: ${effect}).`
    : `the written regime is a hysteresis over the model's answers for the last ${d.windows} windows, ${d.spacingMinutes} min apart: it changes only when another regime's probability exceeds the written one's by ${d.margin}; chosen on validation as the best macro-F1 within the switch limit: ${effect}.`;
}

/** The decision layer's validation trade-off: every setting tried. */
function decisionGridLines(d: ModelMetadata['decision']): string[] {
  return [
    '### Decision layer on validation: every setting tried',
    '',
    ...decisionGridTable(d.validation.grid),
    '',
  ];
}

/** Replaces the generated part of an existing card (or builds a card around it). */
export function updateCard(existing: string | undefined, facts: string): string {
  const block = `${CARD_START}\n${facts.trimEnd()}\n${CARD_END}`;
  if (existing?.includes(CARD_START) && existing.includes(CARD_END)) {
    const start = existing.indexOf(CARD_START);
    const end = existing.indexOf(CARD_END) + CARD_END.length;
    return `${existing.slice(0, start)}${block}${existing.slice(end)}`;
  }
  return `# Model card: the default regime model\n\n${block}\n\n## Known weaknesses\n\n(to be written)\n`;
}

/** The generated part of a card, or undefined when the markers are missing. */
export function cardFacts(card: string): string | undefined {
  const start = card.indexOf(CARD_START);
  const end = card.indexOf(CARD_END);
  if (start < 0 || end < start) return undefined;
  return card.slice(start + CARD_START.length, end).trim();
}
