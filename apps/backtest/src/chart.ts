import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { StrategyRun } from './engine.ts';
import { drawdownCurve } from './metrics.ts';

/** Points per strategy line: plenty for a 900 px wide chart, and the SVG stays small. */
const MAX_POINTS = 1200;

interface Point {
  t: number;
  strategy: string;
  equity: number;
  drawdown: number;
}

/**
 * Downsamples one run to at most MAX_POINTS buckets: the equity at the end of each bucket and the
 * deepest drawdown inside it (so the maximum drawdown stays visible).
 */
function points(run: StrategyRun, instants: Float64Array): Point[] {
  const n = run.equity.length;
  const drawdown = drawdownCurve(run.equity);
  const bucket = Math.max(1, Math.ceil(n / MAX_POINTS));
  const out: Point[] = [{ t: instants[0] ?? 0, strategy: run.strategy, equity: 1, drawdown: 0 }];
  for (let start = 0; start < n; start += bucket) {
    const end = Math.min(n, start + bucket);
    let worst = 0;
    for (let i = start; i < end; i++) worst = Math.max(worst, drawdown[i]!);
    out.push({
      t: instants[end - 1]! + 300_000,
      strategy: run.strategy,
      equity: run.equity[end - 1]!,
      drawdown: -worst,
    });
  }
  return out;
}

/** The vega-lite spec of one symbol's chart: equity curves above, drawdowns below, one colour per strategy. */
export function equityChartSpec(
  symbol: string,
  runs: readonly StrategyRun[],
  instants: Float64Array,
): TopLevelSpec {
  const values = runs.flatMap((run) => points(run, instants));
  const x = {
    field: 't',
    type: 'temporal' as const,
    title: null,
    axis: { tickCount: 8, labelOverlap: true },
  };
  const color = { field: 'strategy', type: 'nominal' as const, title: 'strategy' };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: `${symbol}: equity and drawdown (walk-forward, costs included)`,
    data: { values },
    background: 'white',
    vconcat: [
      {
        width: 900,
        height: 320,
        mark: { type: 'line', strokeWidth: 1.2 },
        encoding: {
          x,
          y: { field: 'equity', type: 'quantitative', title: 'equity (start = 1)', scale: { zero: false } },
          color,
        },
      },
      {
        width: 900,
        height: 160,
        mark: { type: 'line', strokeWidth: 1 },
        encoding: {
          x,
          y: { field: 'drawdown', type: 'quantitative', title: 'drawdown', axis: { format: '%' } },
          color,
        },
      },
    ],
  };
}

/** Renders a vega-lite spec to SVG text in Node: no browser, no canvas, no native module. */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
