import { HINDSIGHT_NOTE } from './report.ts';
import type { BacktestOutcome } from './run.ts';

const pct = (x: number) => `${(x * 100).toFixed(2)}%`.padStart(9);

/** The key table printed at the end of a run: the portfolio's metrics per row, the verdict, the files. */
export function renderSummary(outcome: BacktestOutcome): string {
  const { result, report } = outcome;
  const width = Math.max(15, ...Object.keys(report.strategies).map((n) => n.length));
  const lines = [
    '',
    `${'strategy'.padEnd(width)} total return      CAGR  Sharpe  Sortino  max DD  exposure  trades  (equal-weight ${result.symbols.map((s) => s.symbol).join(' + ')})`,
  ];
  for (const [name, m] of Object.entries(report.strategies)) {
    lines.push(
      `${name.padEnd(width)} ${pct(m.totalReturn)}    ${pct(m.cagr)} ${m.sharpe.toFixed(2).padStart(7)} ${m.sortino.toFixed(2).padStart(8)} ${pct(m.maxDrawdown)} ${pct(m.exposure)} ${String(m.trades).padStart(7)}`,
    );
  }
  lines.push(
    `(@causal: labeler 2's causal segmentation, no look-ahead; @hindsight: its labels, ${HINDSIGHT_NOTE})`,
    '',
    report.verdict,
    '',
    `${result.instants} instants × ${result.symbols.length} symbols in ${outcome.seconds.toFixed(1)} s`,
  );
  if (outcome.run) lines.push(`equity curves in backtest_equity as run ${outcome.run}`);
  lines.push(...outcome.files.map((f) => `wrote ${f}`), '');
  return lines.join('\n');
}
