import { REGIMES, type Regime } from '@regime/model/runtime';
import type { StrategyRun } from './engine.ts';
import type { MarketSeries } from './market.ts';

/** The regime the model wrote at an instant, or none (no prediction). */
export type WrittenRegime = Regime | 'none';
export const WRITTEN_REGIMES: readonly WrittenRegime[] = [...REGIMES, 'none'];

/** One strategy while one regime was written. */
export interface RegimeSlice {
  /** Share of the steps on which this regime was written. */
  share: number;
  /**
   * Profit and loss over those steps, in units of the starting equity, costs included: the regimes'
   * slices (with none) add up to the total return.
   */
  pnl: number;
  /** Share of those steps with a position. */
  timeInMarket: number;
}

interface Tally {
  steps: number;
  inMarket: number;
  pnl: number;
}

/**
 * Splits one run's steps by the regime the model wrote at T (the same split for every strategy, so
 * their rows compare side by side): step i earns equity(T_i) × r_i.
 */
function tally(series: MarketSeries, run: StrategyRun): Map<WrittenRegime, Tally> {
  const out = new Map<WrittenRegime, Tally>();
  let before = 1;
  for (let i = 0; i < run.returns.length; i++) {
    const key: WrittenRegime = series.predictions[i]?.regime ?? 'none';
    let t = out.get(key);
    if (!t) {
      t = { steps: 0, inMarket: 0, pnl: 0 };
      out.set(key, t);
    }
    t.steps++;
    if (run.positions[i]! > 0) t.inMarket++;
    t.pnl += before * run.returns[i]!;
    before = run.equity[i]!;
  }
  return out;
}

/**
 * Per written regime, for one strategy over the symbols' equal-weight portfolio (one symbol: that
 * symbol): P&L is the mean of the symbols' P&L (the portfolio's equity is their mean), shares and
 * time in market pool the symbols' steps. Regimes never written are left out.
 */
export function regimeAttribution(
  pairs: readonly { series: MarketSeries; run: StrategyRun }[],
): Partial<Record<WrittenRegime, RegimeSlice>> {
  const tallies = pairs.map(({ series, run }) => tally(series, run));
  const steps = pairs.reduce((a, p) => a + p.run.returns.length, 0);
  const out: Partial<Record<WrittenRegime, RegimeSlice>> = {};
  for (const key of WRITTEN_REGIMES) {
    const parts = tallies.map((t) => t.get(key)).filter((t): t is Tally => t !== undefined);
    const n = parts.reduce((a, t) => a + t.steps, 0);
    if (n === 0) continue;
    out[key] = {
      share: n / steps,
      pnl: parts.reduce((a, t) => a + t.pnl, 0) / pairs.length,
      timeInMarket: parts.reduce((a, t) => a + t.inMarket, 0) / n,
    };
  }
  return out;
}
