import type { Regime, RegimePrediction } from '@regime/model';
import { REGIMES } from '@regime/model';
import { describe, expect, it } from 'vitest';
import { Dwell } from '../src/dwell.ts';
import { runStrategy } from '../src/engine.ts';
import type { MarketSeries } from '../src/market.ts';
import { loadStrategies } from '../src/strategies/index.ts';
import { trendGatedDwell } from '../src/strategies/trend-gated-dwell.ts';
import { trendStops } from '../src/strategies/trend-stops.ts';
import { trendStopsFixed } from '../src/strategies/trend-stops-fixed.ts';
import { volScaledDwell } from '../src/strategies/vol-scaled-dwell.ts';
import { volTarget } from '../src/strategies/vol-target.ts';
import { BARS_15M_PER_YEAR, TrailingVolatility } from '../src/trailing-volatility.ts';

const STEP = 300_000;
const T0 = Date.UTC(2025, 0, 1);
const costs = { feeBps: 0, slippageBps: 0 };

function prediction(regime: Regime): RegimePrediction {
  const probabilities = Object.fromEntries(REGIMES.map((r) => [r, r === regime ? 1 : 0])) as Record<
    Regime,
    number
  >;
  return { regime, confidence: 1, probabilities };
}

/** Prices known at each instant, regimes written at each, and 15m closes all known before T0. */
function series(prices: number[], regimes: (Regime | undefined)[], closes15m: number[]): MarketSeries {
  const n = prices.length;
  return {
    symbol: 'TESTUSDT',
    instants: Float64Array.from({ length: n }, (_, i) => T0 + i * STEP),
    price: Float64Array.from(prices),
    stepReturn: Float64Array.from({ length: n }, (_, i) => (i + 1 < n ? prices[i + 1]! / prices[i]! - 1 : 0)),
    closes15m: Float64Array.from(closes15m),
    closeTimes15m: Float64Array.from(closes15m, () => T0),
    predictions: regimes.map((r) => (r ? prediction(r) : undefined)),
    missingSteps: 0,
  };
}

/** 200 rising 15m closes that alternate ±1 % around the trend: EMAs agree, σ is known. */
const rising = Array.from({ length: 200 }, (_, i) => 100 * 1.001 ** i * (i % 2 ? 1.01 : 0.99));

describe('Dwell', () => {
  it('changes the acted key only after k consecutive instants of another key, then takes the newest', () => {
    const dwell = new Dwell<string>(3, 'out');
    const acted = ['in', 'in', 'out', 'in', 'in', 'in', 'out', 'x', 'y', 'y'].map((k) => dwell.update(k));
    expect(acted).toEqual(['out', 'out', 'out', 'out', 'out', 'in', 'in', 'in', 'y', 'y']);
    const every = new Dwell<number>(1, 0);
    expect([1, 0, 1].map((k) => every.update(k))).toEqual([1, 0, 1]);
    expect(() => new Dwell(0, 0)).toThrow(/k must be/);
  });
});

describe('TrailingVolatility', () => {
  it('is the root mean square of the newest log returns, consuming only new closes', () => {
    const vol = new TrailingVolatility(3);
    const closes = Float64Array.from([100, 101, 99, 102, 102]);
    expect(vol.sigma(closes.subarray(0, 3))).toBeUndefined();
    const r = [1, 2, 3, 4].map((i) => Math.log(closes[i]! / closes[i - 1]!));
    expect(vol.sigma(closes.subarray(0, 4))).toBeCloseTo(
      Math.sqrt((r[0]! ** 2 + r[1]! ** 2 + r[2]! ** 2) / 3),
      15,
    );
    expect(vol.sigma(closes)).toBeCloseTo(Math.sqrt((r[1]! ** 2 + r[2]! ** 2 + r[3]! ** 2) / 3), 15);
    // The same closes again: nothing new is consumed (the newest return, 102 → 102, is 0).
    expect(vol.sigma(closes)).toBe(vol.sigma(closes));
    expect(r[3]).toBe(0);
  });
});

describe('regime-free twins and regime strategies', () => {
  it('every regime strategy names a regime-free twin of the folder', async () => {
    const strategies = await loadStrategies();
    const twins = Object.fromEntries(strategies.filter((s) => s.twin).map((s) => [s.name, s.twin]));
    expect(twins).toEqual({
      trend_gated: 'trend',
      trend_gated_dwell: 'trend',
      trend_stops: 'trend_stops_fixed',
      vol_scaled: 'vol_target',
      vol_scaled_dwell: 'vol_target',
    });
  });

  it('vol_target holds min(1, target ÷ annualised trailing volatility), whatever the regime', () => {
    const sigma = Math.log((1.01 / 0.99) * 1.001);
    const closes = Array.from({ length: 100 }, (_, i) => 100 * Math.exp((i % 2) * sigma));
    const annualised = sigma * Math.sqrt(BARS_15M_PER_YEAR);
    const half = runStrategy(
      series([1, 1, 1], ['volatility_spike', 'range', undefined], closes),
      volTarget(annualised / 2),
      costs,
    );
    expect(Array.from(half.positions).map((p) => p.toFixed(12))).toEqual([
      '0.500000000000',
      '0.500000000000',
      '0.500000000000',
    ]);
    const capped = runStrategy(
      series([1, 1], [undefined, undefined], closes),
      volTarget(annualised * 2),
      costs,
    );
    expect(Array.from(capped.positions)).toEqual([1, 1]);
    // Not a day of returns known yet: flat.
    expect(
      Array.from(runStrategy(series([1], [undefined], closes.slice(0, 50)), volTarget(1), costs).positions),
    ).toEqual([0]);
  });

  it('trend_gated_dwell opens the gate after k trend instants and closes it after k others', () => {
    const regimes: (Regime | undefined)[] = [
      'strong_trend',
      'weak_trend',
      'range',
      'strong_trend',
      'weak_trend',
      'range',
      undefined,
      'squeeze',
    ];
    const run = runStrategy(
      series(
        regimes.map(() => 100),
        regimes,
        rising,
      ),
      trendGatedDwell(2),
      costs,
    );
    expect(Array.from(run.positions)).toEqual([0, 1, 1, 1, 1, 1, 0, 0]);
  });

  it('vol_scaled_dwell takes a new exposure level only after k instants asking for it', () => {
    const regimes: (Regime | undefined)[] = [
      'range',
      'range',
      'volatility_spike',
      'range',
      'volatility_spike',
      'volatility_spike',
      'choppy_high_vol',
    ];
    const run = runStrategy(
      series(
        regimes.map(() => 100),
        regimes,
        [],
      ),
      volScaledDwell(2),
      costs,
    );
    // Starts at the no-prediction level 0.5; one instant of Choppy High-Vol (0.5) moves nothing.
    expect(Array.from(run.positions)).toEqual([0.5, 1, 1, 1, 1, 0.25, 0.25]);
  });

  it('trend_stops exits at the tighter stop while Volatility Spike is written, its twin later; neither re-enters before a new crossover', () => {
    const sigma4h =
      Math.sqrt(
        rising.slice(-97).reduce((a, c, i, all) => (i ? a + Math.log(c / all[i - 1]!) ** 2 : a), 0) / 96,
      ) * 4;
    // Up 5 %, then down in steps of half a 4-hour σ.
    const prices = [
      100,
      105,
      ...Array.from({ length: 8 }, (_, k) => 105 * Math.exp(-(k + 1) * 0.5 * sigma4h - 1e-9)),
    ];
    const regimes: (Regime | undefined)[] = prices.map(() => 'volatility_spike');
    const fixed = runStrategy(series(prices, regimes, rising), trendStopsFixed(3), costs);
    const tight = runStrategy(series(prices, regimes, rising), trendStops(3, 1), costs);
    // Fixed: out once the fall from 105 reaches 3 σ (the 6th half-σ step, index 7); tight: at 1 σ (index 3).
    expect(Array.from(fixed.positions)).toEqual([1, 1, 1, 1, 1, 1, 1, 0, 0, 0]);
    expect(Array.from(tight.positions)).toEqual([1, 1, 1, 0, 0, 0, 0, 0, 0, 0]);
    // Outside the tight regimes trend_stops is its twin.
    const calm = runStrategy(
      series(
        prices,
        prices.map(() => 'range'),
        rising,
      ),
      trendStops(3, 1),
      costs,
    );
    expect(Array.from(calm.positions)).toEqual(Array.from(fixed.positions));
  });
});
