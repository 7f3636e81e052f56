import type { BacktestResult } from './backtest.ts';
import { type BootstrapOptions, DEFAULT_BOOTSTRAP, sharpeDifference } from './bootstrap.ts';
import { portfolioReturns } from './metrics.ts';
import type { RegimeSource } from './regime-sources.ts';

export type Verdict =
  | 'beats its twin'
  | 'loses to its twin'
  | 'no difference shown'
  | 'too short for an interval';

/** One regime strategy on one writer of the regime, against its regime-free twin. */
export interface TwinComparison {
  /** The row: `trend_gated`, `trend_gated@causal`, … */
  row: string;
  strategy: string;
  source: RegimeSource;
  twin: string;
  /** Sharpe of the row − Sharpe of the twin (equal-weight portfolio, after costs), with its interval. */
  difference: number;
  /** null when the period is shorter than two bootstrap blocks (two days). */
  low: number | null;
  high: number | null;
  verdict: Verdict;
}

/**
 * Every row of a regime strategy against its twin on the portfolio's 5-minute net returns: the
 * Sharpe difference with the paired block-bootstrap interval (bootstrap.ts). The same seed for every
 * pair, so a re-run gives the same intervals.
 */
export function twinComparisons(result: BacktestResult, options: BootstrapOptions = {}): TwinComparison[] {
  const blockSteps = options.blockSteps ?? DEFAULT_BOOTSTRAP.blockSteps;
  const returnsOf = (j: number) => portfolioReturns(result.symbols.map((s) => s.runs[j]!));
  const out: TwinComparison[] = [];
  result.rows.forEach((row, j) => {
    const twin = row.strategy.twin;
    if (!twin) return;
    const t = result.rows.findIndex((r) => r.name === twin);
    if (t < 0) throw new Error(`row ${row.name}: its twin ${twin} was not run`);
    const [a, b] = [returnsOf(j), returnsOf(t)];
    // The point estimate is the table's own Sharpe difference; the bootstrap gives its interval.
    const base = {
      row: row.name,
      strategy: row.strategy.name,
      source: row.source,
      twin,
      difference: result.portfolio[row.name]!.sharpe - result.portfolio[twin]!.sharpe,
    };
    if (a.length < 2 * blockSteps) {
      out.push({ ...base, low: null, high: null, verdict: 'too short for an interval' });
      return;
    }
    const { low, high } = sharpeDifference(a, b, options);
    out.push({
      ...base,
      low,
      high,
      verdict: low > 0 ? 'beats its twin' : high < 0 ? 'loses to its twin' : 'no difference shown',
    });
  });
  return out;
}

const signed = (x: number) => `${x >= 0 ? '+' : '-'}${Math.abs(x).toFixed(2)}`;
export const describeDifference = (c: TwinComparison) =>
  c.low === null || c.high === null
    ? `${signed(c.difference)} [no interval]`
    : `${signed(c.difference)} [${signed(c.low)}, ${signed(c.high)}]`;

/** The interval is above 0 (false without an interval). */
const above = (c: TwinComparison | undefined) => c?.low != null && c.low > 0;

/**
 * The one-line answer: does a regime strategy on the model's regimes beat its twin on Sharpe after
 * costs with the interval above 0? If not, by how much the best one misses, and whether its ceiling
 * rows say it is the definition (even the hindsight labels do not help) or the model (the causal
 * filter, or at least the hindsight labels, do).
 */
export function overallVerdict(
  comparisons: readonly TwinComparison[],
  level = DEFAULT_BOOTSTRAP.level,
): string {
  const model = comparisons.filter((c) => c.source === 'model');
  if (model.length === 0) return 'No regime strategy was run.';
  if (model.every((c) => c.low === null)) {
    return 'No verdict: the period is shorter than two one-day blocks, too short for a bootstrap interval.';
  }
  const interval = `${Math.round(level * 100)} % interval`;
  const winners = model.filter(above).sort((a, b) => b.low! - a.low!);
  const of = (c: TwinComparison, source: RegimeSource) =>
    comparisons.find((x) => x.strategy === c.strategy && x.source === source);
  if (winners.length > 0) {
    const w = winners[0]!;
    return (
      `Aim met: ${winners.map((c) => `${c.strategy} beats ${c.twin} on Sharpe after costs by ${describeDifference(c)}`).join('; ')} ` +
      `(Sharpe difference, ${interval}).` +
      referenceNote(w, of(w, 'hindsight'), of(w, 'causal'))
    );
  }
  const best = [...model].sort((a, b) => b.difference - a.difference)[0]!;
  return (
    `Aim not met: no regime strategy beats its regime-free twin on Sharpe after costs with the ${interval} above 0; ` +
    `the best, ${best.strategy}, is ${describeDifference(best)} against ${best.twin}.` +
    ceilingNote(comparisons)
  );
}

/**
 * What the reference rows say when no model row wins: if no hindsight ceiling beats its twin, the
 * regimes' definition is worth nothing to these rules, whatever the model; where one does, whether
 * the causal filter keeps it (then the model loses it) or not (then it needs the look-ahead).
 */
function ceilingNote(comparisons: readonly TwinComparison[]): string {
  const ceilings = comparisons.filter((c) => c.source === 'hindsight');
  if (ceilings.length === 0) return '';
  const winners = ceilings.filter(above);
  if (winners.length === 0) {
    const best = [...ceilings].sort((a, b) => b.difference - a.difference)[0]!;
    return (
      ` Not one hindsight ceiling beats its twin either (the best, ${best.row}, ${describeDifference(best)}): ` +
      'with these rules even the labels themselves show no gain over the twins, so the shortfall is the definition of the regimes, not only the model.'
    );
  }
  return winners
    .map((w) => {
      const causal = comparisons.find((c) => c.strategy === w.strategy && c.source === 'causal');
      const head = ` ${w.row} beats its twin (${describeDifference(w)})`;
      if (causal && above(causal)) {
        return `${head} and so does ${causal.row} (${describeDifference(causal)}): the definition is worth it without look-ahead, and the model loses it.`;
      }
      return `${head} but ${causal ? `${causal.row} does not (${describeDifference(causal)})` : 'no causal row does'}: that needs the look-ahead, which no causal writer, the model included, has.`;
    })
    .join('');
}

function referenceNote(c: TwinComparison, hindsight?: TwinComparison, causal?: TwinComparison): string {
  if (!hindsight || !causal) return '';
  return ` Its references: ${c.strategy}@hindsight ${describeDifference(hindsight)} (the ceiling), ${c.strategy}@causal ${describeDifference(causal)}.`;
}
