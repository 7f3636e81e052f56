import type { BacktestEquityRow } from '@regime/questdb';
import type { BacktestResult } from './backtest.ts';
import type { Costs } from './engine.ts';
import { drawdownCurve } from './metrics.ts';

/**
 * The name of a run in backtest_equity: model, period and costs. The same configuration gets the same
 * name, so running it again replaces its rows (dedup keys) instead of adding a second curve.
 */
export function runName(modelVersion: string, from: number, to: number, costs: Costs): string {
  const day = (t: number) => new Date(t).toISOString().slice(0, 16).replace(':', '');
  return `${modelVersion}:${day(from)}..${day(to)}:fee${costs.feeBps}:slip${costs.slippageBps}`;
}

/** One row per symbol, strategy and 5-minute step: equity and drawdown at the end of the step. */
export function equityRows(
  result: BacktestResult,
  run: string,
  modelVersion: string,
  createdAt: number,
): BacktestEquityRow[] {
  const rows: BacktestEquityRow[] = [];
  for (const s of result.symbols) {
    for (const r of s.runs) {
      const drawdown = drawdownCurve(r.equity);
      for (let i = 0; i < r.equity.length; i++) {
        rows.push({
          ts: s.series.instants[i]! + 300_000,
          run,
          symbol: s.symbol,
          strategy: r.strategy,
          equity: r.equity[i]!,
          drawdown: drawdown[i]!,
          position: r.positions[i]!,
          modelVersion,
          createdAt,
        });
      }
    }
  }
  return rows;
}
