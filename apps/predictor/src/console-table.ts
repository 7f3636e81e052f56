import type { PredictionOutcome } from '@regime/inference';
import { REGIME_LABELS, REGIMES } from '@regime/model/runtime';
import type { PredictionMode } from './schedule.ts';

export interface ConsoleRow {
  symbol: string;
  outcome: PredictionOutcome;
}

const pct = (p: number) => `${(p * 100).toFixed(1)}%`;

/**
 * One screen of the console mode: as-of instant, mode and model, then per symbol the regime, its
 * confidence and all six probabilities (the original Python tool's live monitor, as plain text).
 */
export function renderTable(
  asOf: number,
  mode: PredictionMode,
  modelVersion: string,
  rows: ConsoleRow[],
): string {
  const header = ['symbol', 'regime', 'conf', ...REGIMES.map((r) => REGIME_LABELS[r])];
  const body = rows.map(({ symbol, outcome }) => {
    if (!outcome.ok) return [symbol, `(no prediction: ${outcome.error.message})`];
    const { regime, confidence, probabilities } = outcome.prediction;
    return [
      symbol,
      REGIME_LABELS[regime as keyof typeof REGIME_LABELS] ?? regime,
      pct(confidence),
      ...REGIMES.map((r) => pct(probabilities[r])),
    ];
  });
  const widths = header.map((h, i) =>
    Math.max(h.length, ...body.filter((r) => r.length > 2).map((r) => r[i]!.length)),
  );
  const line = (cells: string[]) =>
    cells.length === 2 && cells !== header
      ? `${cells[0]!.padEnd(widths[0]!)}  ${cells[1]}`
      : cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  const title = `${new Date(asOf).toISOString().replace('T', ' ').slice(0, 19)} UTC · ${mode} · model ${modelVersion}`;
  return [title, line(header), ...body.map(line)].join('\n');
}
