import { REGIME_LABELS, REGIMES, type Regime } from '@regime/labeler';
import { BASELINES, CLASSIFIERS, type Classifier, type EvaluationReport } from './evaluate.ts';
import type { RegimeProfile } from './profile.ts';

const pct = (v: number) => `${(v * 100).toFixed(1)}%`;
const num = (v: number) => (Number.isFinite(v) ? v.toFixed(3) : 'n/a');
const signed = (v: number) => `${v >= 0 ? '+' : ''}${v.toFixed(3)}`;
const mark = (ok: boolean) => (ok ? '✓' : '✗ missed');

/** The targets of the model's issue, each with its margin: a miss is shown, not hidden. */
function targetLines(report: EvaluationReport): string[] {
  const r = report.results;
  const argmax = r.modelArgmax;
  const causal = r.causal;
  const others = BASELINES.filter((b) => b !== 'causal');
  const bestOther = others.reduce((a, b) => (r[b].macroF1 > r[a].macroF1 ? b : a));
  const limit = 1.5 * report.labels.switchesPerDay;
  const regimeMisses = REGIMES.filter((g) => argmax.perClass[g].f1 < causal.perClass[g].f1);
  const pairMisses = Object.keys(argmax.perSymbol).filter(
    (s) => argmax.perSymbol[s]!.macroF1 < (causal.perSymbol[s]?.macroF1 ?? 0),
  );
  const writtenPairMisses = Object.keys(r.model.perSymbol).filter(
    (s) => r.model.perSymbol[s]!.macroF1 < (causal.perSymbol[s]?.macroF1 ?? 0),
  );
  const delay = r.model.medianDetectionDelayMinutes;
  const lines = [
    '| target | value | required | |',
    '| --- | ---: | ---: | --- |',
    `| argmax macro-F1 ≥ causal segmentation + 0.05 | ${num(argmax.macroF1)} | ${num(causal.macroF1 + 0.05)} | ${mark(argmax.macroF1 >= causal.macroF1 + 0.05)} (${signed(argmax.macroF1 - causal.macroF1 - 0.05)}) |`,
    `| argmax macro-F1 ≥ every other baseline + 0.02 (best: ${bestOther}) | ${num(argmax.macroF1)} | ${num(r[bestOther].macroF1 + 0.02)} | ${mark(argmax.macroF1 >= r[bestOther].macroF1 + 0.02)} (${signed(argmax.macroF1 - r[bestOther].macroF1 - 0.02)}) |`,
    `| written regime: switches/day ≤ 1.5 × the labels' | ${r.model.switchesPerDay.toFixed(2)} | ${limit.toFixed(2)} | ${mark(r.model.switchesPerDay <= limit)} |`,
    `| written regime: macro-F1 ≥ causal segmentation (aim + 0.03) | ${num(r.model.macroF1)} | ${num(causal.macroF1)} | ${mark(r.model.macroF1 >= causal.macroF1)} (${signed(r.model.macroF1 - causal.macroF1)}) |`,
    `| argmax: every regime's F1 ≥ the causal segmentation's | ${REGIMES.length - regimeMisses.length} of ${REGIMES.length} | all | ${mark(regimeMisses.length === 0)}${regimeMisses.length ? ` (${regimeMisses.map((g) => REGIME_LABELS[g]).join(', ')})` : ''} |`,
    `| argmax: every pair's macro-F1 ≥ its causal segmentation's | ${Object.keys(argmax.perSymbol).length - pairMisses.length} of ${Object.keys(argmax.perSymbol).length} | all | ${mark(pairMisses.length === 0)}${pairMisses.length ? ` (${pairMisses.join(', ')})` : ''} |`,
    `| written regime: every pair's macro-F1 ≥ its causal segmentation's | ${Object.keys(r.model.perSymbol).length - writtenPairMisses.length} of ${Object.keys(r.model.perSymbol).length} | all | ${mark(writtenPairMisses.length === 0)}${writtenPairMisses.length ? ` (${writtenPairMisses.join(', ')})` : ''} |`,
    `| written regime: median detection delay ≤ 30 min | ${delay === null ? 'n/a' : `${delay} min`} | 30 min | ${mark(delay !== null && delay <= 30)} |`,
    `| ECE ≤ 0.05 | ${num(argmax.ece ?? Number.NaN)} | 0.050 | ${mark((argmax.ece ?? 1) <= 0.05)} |`,
    `| written regime: accuracy above the majority's | ${pct(r.model.accuracy)} | ${pct(r.majority.accuracy)} | ${mark(r.model.accuracy > r.majority.accuracy)} |`,
  ];
  const hybridMargin = r.hybrid.macroF1 - argmax.macroF1;
  const hybrid = 'The hybrid reference (causal filter + this model, late fusion)';
  lines.push(
    '',
    Math.abs(hybridMargin) < 0.001
      ? `${hybrid} ties with the model's argmax (${signed(hybridMargin)}): writing it would add nothing.`
      : hybridMargin > 0
        ? `${hybrid} beats the model's argmax by ${signed(hybridMargin)}: it is a candidate for what to write.`
        : `${hybrid} does not beat the model's argmax (${signed(hybridMargin)}).`,
  );
  return lines;
}

function profileTable(title: string, profile: RegimeProfile): string[] {
  const rows: (Regime | 'all')[] = [...REGIMES, 'all'];
  return [
    `**${title}**`,
    '',
    '| regime | instants | vol next 4 h ÷ trailing 15 d | \\|net\\| in trailing σ | efficiency | continues last 4 h |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
    ...rows.map((g) => {
      const p = profile[g];
      return `| ${g === 'all' ? 'all instants' : REGIME_LABELS[g]} | ${p.samples} | ${num(p.volRatio)} | ${num(p.netSigma)} | ${num(p.efficiency)} | ${Number.isFinite(p.continues) ? pct(p.continues) : 'n/a'} |`;
    }),
    '',
  ];
}

/** The report as markdown: targets, headline table, per class, per pair, decision trade-off, profile. */
export function renderReportMarkdown(report: EvaluationReport): string {
  const r = report.results;
  const names = report.classifierNames;
  const lines: string[] = [];
  lines.push(`## Evaluation of ${report.model.version}`, '');
  lines.push(
    `${report.data.samples} samples: ${report.data.symbols.join(', ')}, as-of instants every ${report.data.strideMinutes} min from ${report.data.from} to ${report.data.to} (${report.data.source}).`,
    '',
    ...targetLines(report),
    '',
    '| classifier | macro-F1 | accuracy | ECE | switches / day | median detection delay | switches detected |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  );
  for (const c of CLASSIFIERS) {
    const delay = r[c].medianDetectionDelayMinutes;
    lines.push(
      `| ${names[c]} | ${num(r[c].macroF1)} | ${pct(r[c].accuracy)} | ${r[c].ece === null ? 'n/a' : num(r[c].ece)} | ${r[c].switchesPerDay.toFixed(2)} | ${delay === null ? 'n/a (most missed)' : `${delay.toFixed(0)} min`} | ${pct(r[c].detectedShare)} |`,
    );
  }
  const l = report.labels;
  lines.push(
    '',
    `The labels themselves (labeler 2's regime at T) switch ${l.switchesPerDay.toFixed(2)} times a day on these samples (${l.switches} switches); their mean run is ${(l.meanRunMinutes / 60).toFixed(1)} h.`,
    '',
    '### Per regime (F1; precision / recall)',
    '',
    `| regime | share | ${CLASSIFIERS.join(' | ')} |`,
    `| --- | ---: | ${CLASSIFIERS.map(() => '---:').join(' | ')} |`,
  );
  for (const regime of REGIMES) {
    const cell = (c: Classifier) => {
      const m = r[c].perClass[regime];
      return `${num(m.f1)} (${num(m.precision)} / ${num(m.recall)})`;
    };
    lines.push(
      `| ${REGIME_LABELS[regime]} | ${pct(report.classShare[regime])} | ${CLASSIFIERS.map(cell).join(' | ')} |`,
    );
  }
  const symbols = report.data.symbols.filter((s) => r.model.perSymbol[s]);
  lines.push(
    '',
    '### Per pair (macro-F1)',
    '',
    `| pair | samples | ${CLASSIFIERS.join(' | ')} |`,
    `| --- | ---: | ${CLASSIFIERS.map(() => '---:').join(' | ')} |`,
    ...symbols.map(
      (s) =>
        `| ${s} | ${r.model.perSymbol[s]!.samples} | ${CLASSIFIERS.map((c) => num(r[c].perSymbol[s]?.macroF1 ?? Number.NaN)).join(' | ')} |`,
    ),
    '',
    '### Decision layer: the whole trade-off on these samples',
    '',
    `Chosen on validation: ${report.decision.rule.windows} windows ${report.decision.rule.spacingMinutes} min apart, margin ${report.decision.rule.margin}. Every setting tried:`,
    '',
    '| windows | margin | macro-F1 | switches / day | median delay |',
    '| ---: | ---: | ---: | ---: | ---: |',
    ...report.decision.grid.map(
      (g) =>
        `| ${g.windows} | ${g.margin} | ${num(g.macroF1)} | ${g.switchesPerDay.toFixed(2)} | ${g.medianDelayMinutes === null ? 'n/a' : `${g.medianDelayMinutes} min`} |`,
    ),
    '',
    '### What each regime meant for the next 4 hours',
    '',
    ...profileTable('Written regime', report.profile.written),
    ...profileTable('Labels (hindsight: not available at T)', report.profile.labels),
    ...profileTable('Causal segmentation', report.profile.causal),
    '### Written regime: confusion matrix (rows: true, columns: written)',
    '',
    `| true \\ written | ${REGIMES.map((x) => REGIME_LABELS[x]).join(' | ')} |`,
    `| --- | ${REGIMES.map(() => '---:').join(' | ')} |`,
  );
  REGIMES.forEach((regime, k) => {
    lines.push(`| ${REGIME_LABELS[regime]} | ${r.model.confusion[k]!.join(' | ')} |`);
  });
  const s = report.data.skipped;
  lines.push(
    '',
    `Skipped instants: ${s.labelGap} (label needs a missing candle), ${s.labelUnsettled} (too near the end of the data for the label to have settled), ${s.featureGap} (feature window crosses a gap), ${s.featureWarmup} (not enough warm-up). Data hash ${report.data.dataHash.slice(0, 16)}…; evaluated in ${report.seconds.toFixed(1)} s.`,
    '',
  );
  return lines.join('\n');
}
