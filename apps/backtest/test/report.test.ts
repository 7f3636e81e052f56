import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REGIMES, type Regime, type RegimePrediction } from '@regime/model';
import { afterAll, describe, expect, it } from 'vitest';
import type { BacktestResult } from '../src/backtest.ts';
import { runStrategy } from '../src/engine.ts';
import { type MarketSeries, regimeSwitchesPerDay } from '../src/market.ts';
import { portfolioMetrics, runMetrics } from '../src/metrics.ts';
import { writeReport } from '../src/report.ts';
import { loadStrategies } from '../src/strategies/index.ts';

const work = mkdtempSync(join(tmpdir(), 'backtest-report-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function series(symbol: string, drift: number): MarketSeries {
  const n = 600;
  const t0 = Date.UTC(2025, 0, 1);
  const regimes: Regime[] = ['strong_trend', 'range', 'volatility_spike'];
  const prediction = (regime: Regime): RegimePrediction => ({
    regime,
    confidence: 1,
    probabilities: Object.fromEntries(REGIMES.map((r) => [r, r === regime ? 1 : 0])) as Record<
      Regime,
      number
    >,
  });
  const price = Float64Array.from(
    { length: n },
    (_, i) => 100 * (1 + drift) ** i * (1 + 0.01 * Math.sin(i / 7)),
  );
  return {
    symbol,
    instants: Float64Array.from({ length: n }, (_, i) => t0 + i * 300_000),
    price,
    stepReturn: Float64Array.from({ length: n }, (_, i) => (i + 1 < n ? price[i + 1]! / price[i]! - 1 : 0)),
    closes15m: Float64Array.from({ length: 260 }, (_, i) => 100 * (1 + drift) ** (3 * i - 60)),
    closeTimes15m: Float64Array.from({ length: 260 }, (_, i) => t0 + (i - 60) * 900_000),
    predictions: Array.from({ length: n }, (_, i) => prediction(regimes[Math.floor(i / 50) % 3]!)),
    missingSteps: 0,
  };
}

describe('report files', () => {
  it('REPORT.json holds the metrics per strategy (portfolio and per symbol), REPORT.md the tables, one SVG per symbol', async () => {
    const strategies = await loadStrategies();
    const costs = { feeBps: 10, slippageBps: 1 };
    const periodMs = 600 * 300_000;
    const symbols = [series('AAAUSDT', 0.0005), series('BBBUSDT', -0.0003)].map((s) => {
      const runs = strategies.map((st) => runStrategy(s, st, costs));
      return {
        symbol: s.symbol,
        series: s,
        runs,
        metrics: Object.fromEntries(runs.map((r) => [r.strategy, runMetrics(r, periodMs)])),
        regimeShare: { strong_trend: 1 / 3, range: 1 / 3, volatility_spike: 1 / 3 } as Record<
          Regime | 'none',
          number
        >,
        regimeSwitchesPerDay: regimeSwitchesPerDay(s),
        missingPredictions: 0,
        candles: { '5m': 600, '15m': 200, '1h': 50 },
      };
    });
    const result: BacktestResult = {
      from: Date.UTC(2025, 0, 1),
      to: Date.UTC(2025, 0, 1) + periodMs,
      instants: 600,
      symbols,
      portfolio: Object.fromEntries(
        strategies.map((st) => [
          st.name,
          portfolioMetrics(
            symbols.map((s) => s.runs.find((r) => r.strategy === st.name)!),
            periodMs,
          ),
        ]),
      ),
      seconds: { candles: 0, predictions: 0, strategies: 0 },
    };
    const files = await writeReport(
      result,
      { model: { version: 'm1', labelerVersion: '1.0.0' }, source: 'test', costs, strategies, seconds: 1 },
      join(work, 'out/REPORT.md'),
    );
    expect(files.map((f) => f.slice(work.length))).toEqual([
      '/out/REPORT.md',
      '/out/REPORT.json',
      '/out/REPORT-AAAUSDT.svg',
      '/out/REPORT-BBBUSDT.svg',
    ]);
    const json = JSON.parse(readFileSync(join(work, 'out/REPORT.json'), 'utf8'));
    expect(Object.keys(json.strategies)).toEqual(strategies.map((s) => s.name));
    for (const s of strategies) {
      const want = result.portfolio[s.name]!;
      for (const key of ['totalReturn', 'sharpe', 'sortino', 'maxDrawdown', 'exposure', 'trades'] as const) {
        expect(json.strategies[s.name][key], `${s.name}.${key}`).toBe(want[key]);
      }
      expect(json.strategies[s.name].maxDrawdown).toBeGreaterThanOrEqual(0);
      expect(json.symbols.AAAUSDT.strategies[s.name].trades).toBe(symbols[0]!.metrics[s.name]!.trades);
    }
    expect(json.annualisation.periodsPerYear).toBe(365 * 288);
    // 600 instants of 5 minutes (≈ 2.08 days), the regime changing every 50 instants: 11 switches.
    expect(json.symbols.AAAUSDT.regimeSwitchesPerDay).toBeCloseTo(11 / ((600 * 5) / 1440), 12);
    const md = readFileSync(join(work, 'out/REPORT.md'), 'utf8');
    expect(md).toContain('## Equal-weight portfolio of AAAUSDT + BBBUSDT');
    expect(md).toContain('![AAAUSDT equity and drawdown](REPORT-AAAUSDT.svg)');
    const svg = readFileSync(join(work, 'out/REPORT-AAAUSDT.svg'), 'utf8');
    expect(svg.startsWith('<svg')).toBe(true);
    for (const s of strategies) expect(svg).toContain(`>${s.name}</text>`);
    expect(svg).toContain('AAAUSDT: equity and drawdown');
  }, 60_000);
});
