import { seededRandom } from '@regime/candles';
import type { Regime } from '@regime/model';
import { REGIMES } from '@regime/model';
import { describe, expect, it } from 'vitest';
import { regimeAttribution } from '../src/attribution.ts';
import { sharpeDifference } from '../src/bootstrap.ts';
import { overallVerdict, type TwinComparison } from '../src/comparisons.ts';
import { runStrategy } from '../src/engine.ts';
import type { MarketSeries } from '../src/market.ts';
import { PERIODS_PER_YEAR, runMetrics } from '../src/metrics.ts';

/** Gaussian noise (Box–Muller) from a seeded generator. */
function noise(seed: number, n: number, scale: number, drift = 0): Float64Array {
  const random = seededRandom(seed);
  return Float64Array.from({ length: n }, () => {
    const u = 1 - random();
    return drift + scale * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
  });
}

const sharpe = (r: Float64Array) => {
  const mean = r.reduce((a, x) => a + x, 0) / r.length;
  const sd = Math.sqrt(r.reduce((a, x) => a + (x - mean) ** 2, 0) / (r.length - 1));
  return (mean / sd) * Math.sqrt(PERIODS_PER_YEAR);
};

describe('Sharpe difference with a paired one-day block bootstrap', () => {
  const days = 60;
  const n = days * 288;

  it('is the difference of the two Sharpe ratios, and 0 with a zero-width interval for one series', () => {
    const a = noise(1, n, 0.002, 0.0001);
    const b = noise(2, n, 0.002);
    const d = sharpeDifference(a, b, { resamples: 500 });
    expect(d.difference).toBeCloseTo(sharpe(a) - sharpe(b), 6);
    expect(d.low).toBeLessThan(d.difference);
    expect(d.high).toBeGreaterThan(d.difference);
    expect(sharpeDifference(a, a, { resamples: 200 })).toEqual({ difference: 0, low: 0, high: 0 });
    // Same seed, same interval; swapped series, mirrored interval.
    expect(sharpeDifference(a, b, { resamples: 500 })).toEqual(d);
    const swapped = sharpeDifference(b, a, { resamples: 500 });
    expect(swapped.difference).toBeCloseTo(-d.difference, 12);
    expect(swapped.low).toBeCloseTo(-d.high, 9);
  });

  it('is above 0 for a clearly better series, and rarely excludes 0 between two alike', () => {
    const b = noise(3, n, 0.002);
    const own = noise(4, n, 0.0005);
    const better = Float64Array.from(b, (x, i) => x + 0.0004 + own[i]!);
    expect(sharpeDifference(better, b, { resamples: 500 }).low).toBeGreaterThan(0);
    // 40 pairs of independent, identically distributed series: a 90 % interval excludes 0 about 4 times.
    let excluded = 0;
    for (let k = 0; k < 40; k++) {
      const d = sharpeDifference(noise(100 + k, 30 * 288, 0.002), noise(200 + k, 30 * 288, 0.002), {
        resamples: 1000,
      });
      if (d.low > 0 || d.high < 0) excluded++;
    }
    expect(excluded).toBeLessThanOrEqual(10);
  });

  it('refuses series of different lengths or shorter than two blocks', () => {
    expect(() => sharpeDifference(new Float64Array(600), new Float64Array(599))).toThrow(/steps/);
    expect(() => sharpeDifference(new Float64Array(288), new Float64Array(288))).toThrow(/two blocks/);
  });
});

describe('per-regime attribution', () => {
  it('splits P&L by the written regime: the slices add up to the total return', () => {
    const n = 500;
    const price = Float64Array.from({ length: n }, (_, i) => 100 * (1 + 0.02 * Math.sin(i / 9)));
    const regimes: (Regime | undefined)[] = Array.from({ length: n }, (_, i) =>
      i % 70 < 10 ? undefined : REGIMES[Math.floor(i / 70) % 3],
    );
    const series: MarketSeries = {
      symbol: 'TESTUSDT',
      instants: Float64Array.from({ length: n }, (_, i) => i * 300_000),
      price,
      stepReturn: Float64Array.from({ length: n }, (_, i) => (i + 1 < n ? price[i + 1]! / price[i]! - 1 : 0)),
      closes15m: new Float64Array(),
      closeTimes15m: new Float64Array(),
      predictions: regimes.map((r) =>
        r
          ? {
              regime: r,
              confidence: 1,
              probabilities: Object.fromEntries(REGIMES.map((x) => [x, x === r ? 1 : 0])) as Record<
                Regime,
                number
              >,
            }
          : undefined,
      ),
      missingSteps: 0,
    };
    const strategy = {
      name: 'alternate',
      description: 'long every other 20 instants',
      create: () => {
        let i = 0;
        return () => (Math.floor(i++ / 20) % 2 ? 1 : 0.5);
      },
    };
    const run = runStrategy(series, strategy, { feeBps: 10, slippageBps: 0 });
    const slices = regimeAttribution([{ series, run }]);
    expect(Object.keys(slices).sort()).toEqual(['none', 'range', 'strong_trend', 'weak_trend']);
    const values = Object.values(slices);
    expect(values.reduce((a, s) => a + s.pnl, 0)).toBeCloseTo(runMetrics(run, n * 300_000).totalReturn, 12);
    expect(values.reduce((a, s) => a + s.share, 0)).toBeCloseTo(1, 12);
    expect(slices.none!.share).toBeCloseTo(regimes.filter((r) => r === undefined).length / n, 12);
    // Two copies of the symbol: the portfolio's P&L is the same, the shares too.
    const twice = regimeAttribution([
      { series, run },
      { series, run },
    ]);
    expect(twice.range!.pnl).toBeCloseTo(slices.range!.pnl, 12);
    expect(twice.range!.share).toBeCloseTo(slices.range!.share, 12);
  });
});

describe('the verdict line', () => {
  const c = (row: string, source: TwinComparison['source'], low: number, high: number): TwinComparison => ({
    row,
    strategy: row.split('@')[0]!,
    source,
    twin: 'vol_target',
    difference: (low + high) / 2,
    low,
    high,
    verdict: low > 0 ? 'beats its twin' : high < 0 ? 'loses to its twin' : 'no difference shown',
  });

  it('names the winner when a model row beats its twin', () => {
    const v = overallVerdict([
      c('vol_scaled', 'model', 0.1, 0.9),
      c('vol_scaled@hindsight', 'hindsight', 1, 2),
    ]);
    expect(v).toMatch(
      /^Aim met: vol_scaled beats vol_target on Sharpe after costs by \+0\.50 \[\+0\.10, \+0\.90\]/,
    );
  });

  it('otherwise says by how much the best misses, and whether it is the definition or the model', () => {
    const definition = overallVerdict([
      c('vol_scaled', 'model', -0.5, 0.3),
      c('vol_scaled@causal', 'causal', -0.4, 0.2),
      c('vol_scaled@hindsight', 'hindsight', -0.1, 0.5),
    ]);
    expect(definition).toMatch(/^Aim not met: .* the best, vol_scaled, is -0\.10 \[-0\.50, \+0\.30\]/);
    expect(definition).toMatch(
      /Not one hindsight ceiling beats its twin either \(the best, vol_scaled@hindsight, \+0\.20 .*the shortfall is the definition of the regimes, not only the model/,
    );
    const model = overallVerdict([
      c('vol_scaled', 'model', -0.5, 0.3),
      c('vol_scaled@causal', 'causal', 0.1, 0.6),
      c('vol_scaled@hindsight', 'hindsight', 0.5, 1.5),
    ]);
    expect(model).toMatch(/the model loses it/);
    const lookAhead = overallVerdict([
      c('vol_scaled', 'model', -0.5, 0.3),
      c('vol_scaled@causal', 'causal', -0.1, 0.6),
      c('vol_scaled@hindsight', 'hindsight', 0.5, 1.5),
    ]);
    expect(lookAhead).toMatch(/needs the look-ahead/);
  });
});
