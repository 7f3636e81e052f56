import { describe, expect, it } from 'vitest';
import type { BacktestResult } from '../src/backtest.ts';
import {
  assertNotTest,
  candidates,
  choiceStrategies,
  chooseParameters,
  DWELL_GRID,
  STOP_GRID,
  TIGHT_FRACTIONS,
  VOL_TARGET_GRID,
} from '../src/choose.ts';
import type { StrategyMetrics } from '../src/metrics.ts';
import { parametersSchema } from '../src/parameters.ts';

const metrics = (m: Partial<StrategyMetrics>): StrategyMetrics => ({
  totalReturn: 0,
  grossReturn: 0,
  cagr: 0,
  sharpe: 0,
  sortino: 0,
  maxDrawdown: 0,
  calmar: 0,
  exposure: 1,
  timeInMarket: 1,
  turnover: 0,
  trades: 0,
  feesPaid: 0,
  slippagePaid: 0,
  ...m,
});

const chosenOn = {
  from: '2025-01-01T00:00:00.000Z',
  to: '2025-05-01T00:00:00.000Z',
  symbols: ['BTCUSDT'],
  model: 'm',
  feeBps: 10,
  slippageBps: 0,
  command: 'npm run backtest:choose',
  at: '2026-12-04T00:00:00.000Z',
};

describe('choosing the parameters on validation', () => {
  it('matches vol_scaled’s exposure with the target, and takes the best Sharpe for k and the stops', () => {
    const portfolio: Record<string, StrategyMetrics> = {
      trend: metrics({}),
      vol_scaled: metrics({ exposure: 0.8 }),
    };
    for (const c of candidates()) {
      const v = c.value;
      portfolio[c.strategy.name] = metrics(
        c.family === 'volTarget'
          ? // exposure rises with the target; the best Sharpe is elsewhere: it must not decide.
            { exposure: Math.min(1, v / 0.6), sharpe: v === 0.1 ? 9 : 1 }
          : c.family === 'trendGatedDwell'
            ? { sharpe: v === 6 || v === 12 ? 2 : 1 } // a tie: the smaller k
            : c.family === 'volScaledDwell'
              ? { sharpe: -Math.abs(v - 16) }
              : c.family === 'trendStopsFixed'
                ? { sharpe: v === 2.5 ? 3 : 0 }
                : { sharpe: c.base === 2.5 ? v : 10 * v }, // only the tightenings of the chosen 2.5 count
      );
    }
    const p = chooseParameters({ portfolio } as unknown as BacktestResult, chosenOn);
    expect(parametersSchema.parse(p)).toEqual(p);
    expect(p.volTarget.annualisedVolatility).toBe(0.5);
    expect(p.volTarget.grid).toHaveLength(VOL_TARGET_GRID.length);
    expect(p.trendGatedDwell.k).toBe(6);
    expect(p.volScaledDwell.k).toBe(16);
    expect(p.trendGatedDwell.grid.map((g) => g.value)).toEqual(DWELL_GRID);
    expect(p.trendStopsFixed.multiple).toBe(2.5);
    expect(p.trendStopsFixed.grid.map((g) => g.value)).toEqual(STOP_GRID);
    expect(p.trendStops.tightMultiple).toBe(2.5 * Math.max(...TIGHT_FRACTIONS));
    expect(p.trendStops.grid.map((g) => g.value)).toEqual(TIGHT_FRACTIONS.map((f) => 2.5 * f));
  });

  it('runs every candidate under its own name, beside vol_scaled', () => {
    const names = choiceStrategies().map((s) => s.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names).toContain('vol_scaled');
    expect(names.filter((n) => n.startsWith('c_'))).toHaveLength(candidates().length);
  });

  it('refuses any period that touches the test period', () => {
    expect(() => assertNotTest(Date.UTC(2025, 0, 1), Date.UTC(2025, 4, 1))).not.toThrow();
    expect(() => assertNotTest(Date.UTC(2025, 0, 1), Date.UTC(2025, 4, 1, 0, 5))).toThrow(/test period/);
    expect(() => assertNotTest(Date.UTC(2025, 10, 1), Date.UTC(2025, 11, 1))).not.toThrow();
  });
});
