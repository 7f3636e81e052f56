import type { BacktestResult } from './backtest.ts';
import { BadInputError } from './config.ts';
import type { StrategyMetrics } from './metrics.ts';
import { type GridRow, type StrategyParameters, TEST_PERIOD } from './parameters.ts';
import { strategy as trend } from './strategies/trend.ts';
import { trendGatedDwell } from './strategies/trend-gated-dwell.ts';
import { trendStops } from './strategies/trend-stops.ts';
import { trendStopsFixed } from './strategies/trend-stops-fixed.ts';
import { strategy as volScaled } from './strategies/vol-scaled.ts';
import { volScaledDwell } from './strategies/vol-scaled-dwell.ts';
import { volTarget } from './strategies/vol-target.ts';
import type { Strategy } from './strategy.ts';

/** Annualised volatility targets tried for vol_target. */
export const VOL_TARGET_GRID = Array.from({ length: 29 }, (_, i) => Math.round((0.1 + 0.05 * i) * 100) / 100);
/** Dwell k tried (official instants, 5 minutes each); 1 = no dwell. */
export const DWELL_GRID = [1, 2, 3, 4, 6, 8, 12, 16, 24, 36, 48];
/** Stop multiples of the trailing 4-hour σ tried for trend_stops_fixed. */
export const STOP_GRID = [0.5, 1, 1.5, 2, 2.5, 3, 4, 5, 6];
/** trend_stops' tight multiple, as a fraction of the fixed one (smaller, by definition). */
export const TIGHT_FRACTIONS = [0.25, 0.5, 0.75];

interface Candidate {
  strategy: Strategy;
  family: 'volTarget' | 'trendGatedDwell' | 'volScaledDwell' | 'trendStopsFixed' | 'trendStops';
  value: number;
  /** trend_stops: the fixed multiple it tightens. */
  base?: number;
}

/** Every value of every grid as its own strategy (names are unique; the engine runs them all at once). */
export function candidates(): Candidate[] {
  const out: Candidate[] = [];
  VOL_TARGET_GRID.forEach((v, i) => {
    out.push({ strategy: volTarget(v, `c_vol_target_${i}`), family: 'volTarget', value: v });
  });
  for (const k of DWELL_GRID) {
    out.push({
      strategy: trendGatedDwell(k, `c_trend_gated_dwell_${k}`),
      family: 'trendGatedDwell',
      value: k,
    });
    out.push({ strategy: volScaledDwell(k, `c_vol_scaled_dwell_${k}`), family: 'volScaledDwell', value: k });
  }
  STOP_GRID.forEach((m, i) => {
    out.push({
      strategy: trendStopsFixed(m, `c_trend_stops_fixed_${i}`),
      family: 'trendStopsFixed',
      value: m,
    });
    TIGHT_FRACTIONS.forEach((f, j) => {
      out.push({
        strategy: trendStops(m, m * f, `c_trend_stops_${i}_${j}`),
        family: 'trendStops',
        value: m * f,
        base: m,
      });
    });
  });
  return out;
}

/** The candidates plus the strategies the choice is measured against (vol_scaled's exposure). */
export function choiceStrategies(): Strategy[] {
  return [trend, volScaled, ...candidates().map((c) => c.strategy)];
}

/** Refuses a choice period that shares an instant with the test period. */
export function assertNotTest(from: number, to: number): void {
  if (from < TEST_PERIOD.to && TEST_PERIOD.from < to) {
    const iso = (t: number) => new Date(t).toISOString().slice(0, 10);
    throw new BadInputError([
      `parameters are never chosen on the test period ${iso(TEST_PERIOD.from)} … ${iso(TEST_PERIOD.to)}: ` +
        `--from ${iso(from)} --to ${iso(to)} overlaps it (use the validation period, 2025-01-01 … 2025-05-01)`,
    ]);
  }
}

const row = (value: number, m: StrategyMetrics): GridRow => ({
  value,
  sharpe: m.sharpe,
  totalReturn: m.totalReturn,
  exposure: m.exposure,
});

/** The grid entry with the best Sharpe; on a tie the smaller value (fewer assumptions). */
function bestSharpe(grid: GridRow[]): GridRow {
  return grid.reduce((best, g) => (g.sharpe > best.sharpe ? g : best));
}

/**
 * The parameters, from a backtest of choiceStrategies() on the validation period (portfolio metrics,
 * after costs): vol_target's target matches vol_scaled's mean exposure (the twins then take the same
 * risk on average; the regime only decides when); k and the stop multiples maximise Sharpe.
 */
export function chooseParameters(
  result: BacktestResult,
  chosenOn: NonNullable<StrategyParameters['chosenOn']>,
): StrategyParameters {
  const all = candidates();
  const metricsOf = (name: string) => {
    const m = result.portfolio[name];
    if (!m) throw new Error(`the choice run has no row ${name}`);
    return m;
  };
  const grid = (family: Candidate['family'], keep: (c: Candidate) => boolean = () => true) =>
    all.filter((c) => c.family === family && keep(c)).map((c) => row(c.value, metricsOf(c.strategy.name)));
  const scaledExposure = metricsOf(volScaled.name).exposure;
  const targets = grid('volTarget');
  const target = targets.reduce((best, g) =>
    Math.abs(g.exposure - scaledExposure) < Math.abs(best.exposure - scaledExposure) ? g : best,
  );
  const fixed = bestSharpe(grid('trendStopsFixed'));
  const tight = bestSharpe(grid('trendStops', (c) => c.base === fixed.value));
  const trendDwell = grid('trendGatedDwell');
  const scaledDwell = grid('volScaledDwell');
  return {
    chosenOn,
    volTarget: {
      annualisedVolatility: target.value,
      rule: `the target whose mean exposure on validation (${(target.exposure * 100).toFixed(1)} %) is closest to vol_scaled's (${(scaledExposure * 100).toFixed(1)} %): the same risk on average, spent by volatility instead of by regime`,
      grid: targets,
    },
    trendGatedDwell: {
      k: bestSharpe(trendDwell).value,
      rule: 'the k with the best validation Sharpe after costs (k = 1 is no dwell)',
      grid: trendDwell,
    },
    volScaledDwell: {
      k: bestSharpe(scaledDwell).value,
      rule: 'the k with the best validation Sharpe after costs (k = 1 is no dwell)',
      grid: scaledDwell,
    },
    trendStopsFixed: {
      multiple: fixed.value,
      rule: 'the multiple with the best validation Sharpe after costs: the twin gets its best stop',
      grid: grid('trendStopsFixed'),
    },
    trendStops: {
      tightMultiple: tight.value,
      rule: `the tight multiple (${TIGHT_FRACTIONS.join(', ')} × the twin's ${fixed.value}) with the best validation Sharpe after costs`,
      grid: grid('trendStops', (c) => c.base === fixed.value),
    },
  };
}
