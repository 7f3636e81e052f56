import type { Regime, RegimePrediction } from '@regime/model';
import { REGIMES } from '@regime/model';
import { describe, expect, it } from 'vitest';
import { runStrategy } from '../src/engine.ts';
import type { MarketSeries } from '../src/market.ts';
import { metricsOf, runMetrics } from '../src/metrics.ts';
import { loadStrategies } from '../src/strategies/index.ts';
import type { Strategy } from '../src/strategy.ts';

const STEP = 300_000;
const T0 = Date.UTC(2025, 0, 1);

function prediction(regime: Regime): RegimePrediction {
  const probabilities = Object.fromEntries(REGIMES.map((r) => [r, r === regime ? 1 : 0])) as Record<
    Regime,
    number
  >;
  return { regime, confidence: 1, probabilities };
}

/** A series from the prices known at each instant plus the close after the last step. */
function handMade(
  prices: number[],
  regimes: (Regime | undefined)[] = [],
  closes15m: number[] = [],
): MarketSeries {
  const n = prices.length - 1;
  return {
    symbol: 'TESTUSDT',
    instants: Float64Array.from({ length: n }, (_, i) => T0 + i * STEP),
    price: Float64Array.from(prices.slice(0, n)),
    stepReturn: Float64Array.from({ length: n }, (_, i) => prices[i + 1]! / prices[i]! - 1),
    // Every 15m close is known before the first instant unless told otherwise.
    closes15m: Float64Array.from(closes15m),
    closeTimes15m: Float64Array.from(closes15m, () => T0),
    predictions: Array.from({ length: n }, (_, i) => (regimes[i] ? prediction(regimes[i]) : undefined)),
    missingSteps: 0,
  };
}

/** Holds the given exposures, one per instant, in order. */
function scripted(exposures: number[]): Strategy {
  return {
    name: 'scripted',
    description: 'fixed exposures',
    create() {
      let i = 0;
      return () => exposures[i++]!;
    },
  };
}

describe('engine on a hand-made series (trades and P&L worked out by hand)', () => {
  // Prices known at T0..T5; step returns +10 %, −10 %, 0, +20 %, −50 %.
  const prices = [100, 110, 99, 99, 118.8, 59.4];
  const costs = { feeBps: 10, slippageBps: 0 };

  it('charges the fee on each change of exposure and compounds the held returns', () => {
    const run = runStrategy(handMade(prices), scripted([1, 1, 0, 0.5, 0.5]), costs);
    // T0: buy 1 → fee 0.001; (1 − 0.001) × 1.1 = 1.0989
    // T1: hold → 1.0989 × 0.9 = 0.98901
    // T2: sell 1 → fee 0.98901 × 0.001 = 0.00098901; flat → 0.98802099
    // T3: buy 0.5 → fee 0.98802099 × 0.0005 = 0.000494010495; 0.987526979505 × (1 + 0.5 × 0.2) = 1.0862796774555
    // T4: hold 0.5 → × (1 − 0.5 × 0.5) = 0.814709758091625
    const expected = [1.0989, 0.98901, 0.98802099, 1.0862796774555, 0.814709758091625];
    for (const [i, e] of expected.entries()) expect(run.equity[i]).toBeCloseTo(e, 12);
    expect(Array.from(run.positions)).toEqual([1, 1, 0, 0.5, 0.5]);
    expect(run.trades).toBe(3);
    expect(run.turnover).toBe(2.5);
    expect(run.feesPaid).toBeCloseTo(0.001 + 0.00098901 + 0.000494010495, 15);
    expect(run.slippagePaid).toBe(0);

    const m = runMetrics(run, 5 * STEP);
    expect(m.totalReturn).toBeCloseTo(0.814709758091625 - 1, 12);
    expect(m.exposure).toBeCloseTo(0.6, 15);
    // Without costs: 1.1 × 0.9 × 1 × 1.1 × 0.75
    expect(m.grossReturn).toBeCloseTo(1.1 * 0.9 * 1.1 * 0.75 - 1, 12);
    // Peak 1.0989 after T0, trough 0.814709758091625 at the end.
    expect(m.maxDrawdown).toBeCloseTo(1 - 0.814709758091625 / 1.0989, 12);
  });

  it('slippage is a second per-side cost on the same notional', () => {
    const run = runStrategy(handMade(prices), scripted([1, 1, 0, 0.5, 0.5]), { feeBps: 10, slippageBps: 5 });
    // T0: (1 − 0.0015) × 1.1 = 1.09835
    expect(run.equity[0]).toBeCloseTo(1.09835, 12);
    expect(run.slippagePaid).toBeCloseTo(
      0.0005 + 1.09835 * 0.9 * 0.0005 + 1.09835 * 0.9 * 0.9985 * 0.00025,
      12,
    );
  });

  it('buy_and_hold pays one entry fee and follows the price', async () => {
    const strategies = await loadStrategies();
    const buyAndHold = strategies.find((s) => s.name === 'buy_and_hold')!;
    const run = runStrategy(handMade(prices), buyAndHold, costs);
    expect(run.trades).toBe(1);
    expect(run.equity.at(-1)).toBeCloseTo(0.999 * (59.4 / 100), 12);
  });

  it('trend_gated is in the market only in Strong Trend or Weak Trend while the trend is up', async () => {
    const strategies = await loadStrategies();
    const gated = strategies.find((s) => s.name === 'trend_gated')!;
    // 60 rising 15m closes: EMA(21) > EMA(55), so the ungated trend strategy is long throughout.
    const rising = Array.from({ length: 60 }, (_, i) => 100 + i);
    const regimes: (Regime | undefined)[] = [
      'strong_trend',
      'weak_trend',
      'range',
      'squeeze',
      'volatility_spike',
      'choppy_high_vol',
      undefined,
      'weak_trend',
    ];
    const series = handMade([100, 101, 102, 103, 104, 105, 106, 107, 108], regimes, rising);
    const run = runStrategy(series, gated, costs);
    expect(Array.from(run.positions)).toEqual([1, 1, 0, 0, 0, 0, 0, 1]);
    const trend = runStrategy(series, strategies.find((s) => s.name === 'trend')!, costs);
    expect(Array.from(trend.positions)).toEqual([1, 1, 1, 1, 1, 1, 1, 1]);
  });

  it('vol_scaled holds its documented exposure per regime', async () => {
    const strategies = await loadStrategies();
    const scaled = strategies.find((s) => s.name === 'vol_scaled')!;
    const regimes: (Regime | undefined)[] = [
      'range',
      'choppy_high_vol',
      'volatility_spike',
      undefined,
      'strong_trend',
    ];
    const run = runStrategy(handMade([1, 1, 1, 1, 1, 1], regimes), scaled, costs);
    expect(Array.from(run.positions)).toEqual([1, 0.5, 0.25, 0.5, 1]);
  });

  it('refuses an exposure outside [0, 1]', () => {
    expect(() => runStrategy(handMade(prices), scripted([1, 2, 0, 0, 0]), costs)).toThrow(/exposure 2/);
  });
});

describe('risk metrics', () => {
  it('Sharpe and Sortino annualise 5-minute returns with √(365 × 288)', () => {
    const returns = Float64Array.from([0.01, -0.01, 0.02, 0]);
    const m = metricsOf(
      returns,
      { grossReturn: 0, exposure: 1, timeInMarket: 1, turnover: 0, trades: 0, feesPaid: 0, slippagePaid: 0 },
      4 * STEP,
    );
    // mean 0.005; sample std √((0.005² + 0.015² + 0.015² + 0.005²) / 3) = √(0.0005 / 3)
    expect(m.sharpe).toBeCloseTo((0.005 / Math.sqrt(0.0005 / 3)) * Math.sqrt(105_120), 9);
    // downside deviation √(0.01² / 4) = 0.005
    expect(m.sortino).toBeCloseTo((0.005 / 0.005) * Math.sqrt(105_120), 9);
    expect(m.maxDrawdown).toBeCloseTo(0.01, 15);
    // Calmar: CAGR over the 20 minutes ÷ the 1 % drawdown.
    const years = (4 * STEP) / (365 * 86_400_000);
    expect(m.calmar).toBeCloseTo(((1.01 * 0.99 * 1.02) ** (1 / years) - 1) / m.maxDrawdown, 6);
  });
});
