import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REGIMES, type Regime, type RegimePrediction } from '@regime/model';
import { afterAll, describe, expect, it } from 'vitest';
import { type BacktestResult, backtestRows } from '../src/backtest.ts';
import { runStrategy } from '../src/engine.ts';
import { type MarketSeries, regimeSwitchesPerDay } from '../src/market.ts';
import { portfolioMetrics, runMetrics } from '../src/metrics.ts';
import { PARAMETERS } from '../src/parameters.ts';
import { withRegimes } from '../src/regime-sources.ts';
import { HINDSIGHT_NOTE, writeReport } from '../src/report.ts';
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
  it('REPORT.json holds the metrics per row (portfolio and per symbol), the twins compared, per-regime attribution and the parameters; REPORT.md the tables; one SVG per symbol', async () => {
    const strategies = await loadStrategies();
    const rows = backtestRows(strategies);
    const costs = { feeBps: 10, slippageBps: 1 };
    const periodMs = 600 * 300_000;
    const symbols = [series('AAAUSDT', 0.0005), series('BBBUSDT', -0.0003)].map((s) => {
      // The labeler's writers: the model's regimes two instants late (causal) and early (hindsight).
      const shifted = (by: number) =>
        s.predictions.map((_, i) => s.predictions[Math.min(599, Math.max(0, i + by))]!.regime);
      const of = { model: s, causal: withRegimes(s, shifted(-2)), hindsight: withRegimes(s, shifted(2)) };
      const runs = rows.map((row) => ({
        ...runStrategy(of[row.source], row.strategy, costs),
        strategy: row.name,
      }));
      return {
        symbol: s.symbol,
        series: s,
        runs,
        metrics: Object.fromEntries(runs.map((r) => [r.strategy, runMetrics(r, periodMs)])),
        labelerMissing: { hindsight: 0, causal: 0 },
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
      rows,
      symbols,
      portfolio: Object.fromEntries(
        rows.map((row, j) => [
          row.name,
          portfolioMetrics(
            symbols.map((s) => s.runs[j]!),
            periodMs,
          ),
        ]),
      ),
      seconds: { candles: 0, predictions: 0, strategies: 0 },
    };
    const { files, report } = await writeReport(
      result,
      {
        model: { version: 'm1', labelerVersion: '2.0.0' },
        source: 'test',
        costs,
        parameters: PARAMETERS,
        seconds: 1,
        bootstrap: { resamples: 200 },
      },
      join(work, 'out/REPORT.md'),
    );
    expect(files.map((f) => f.slice(work.length))).toEqual([
      '/out/REPORT.md',
      '/out/REPORT.json',
      '/out/REPORT-AAAUSDT.svg',
      '/out/REPORT-BBBUSDT.svg',
    ]);
    const json = JSON.parse(readFileSync(join(work, 'out/REPORT.json'), 'utf8'));
    expect(json).toEqual(JSON.parse(JSON.stringify(report)));
    const regimeStrategies = strategies.filter((s) => s.twin).map((s) => s.name);
    expect(Object.keys(json.strategies).sort()).toEqual(
      [
        ...strategies.map((s) => s.name),
        ...regimeStrategies.flatMap((n) => [`${n}@causal`, `${n}@hindsight`]),
      ].sort(),
    );
    // Twins side by side: trend, then the strategies it is the twin of.
    const order = Object.keys(json.strategies);
    expect(order.slice(order.indexOf('trend'), order.indexOf('trend') + 7)).toEqual([
      'trend',
      'trend_gated',
      'trend_gated@causal',
      'trend_gated@hindsight',
      'trend_gated_dwell',
      'trend_gated_dwell@causal',
      'trend_gated_dwell@hindsight',
    ]);
    for (const row of rows) {
      const want = result.portfolio[row.name]!;
      for (const key of [
        'totalReturn',
        'sharpe',
        'sortino',
        'maxDrawdown',
        'calmar',
        'exposure',
        'timeInMarket',
        'trades',
      ] as const) {
        expect(json.strategies[row.name][key], `${row.name}.${key}`).toBe(want[key]);
      }
      expect(json.symbols.AAAUSDT.strategies[row.name].trades).toBe(symbols[0]!.metrics[row.name]!.trades);
      // The regimes' P&L adds up to the total return.
      const pnl = Object.values(json.perRegime[row.name] as Record<string, { pnl: number }>).reduce(
        (a, p) => a + p.pnl,
        0,
      );
      expect(pnl, row.name).toBeCloseTo(want.totalReturn, 9);
    }
    expect(json.strategies['vol_scaled@hindsight'].description).toContain(HINDSIGHT_NOTE);
    expect(json.strategies['vol_scaled@causal'].description).toContain('no look-ahead');
    expect(json.comparisons.map((c: { row: string }) => c.row).sort()).toEqual(
      regimeStrategies.flatMap((n) => [n, `${n}@causal`, `${n}@hindsight`]).sort(),
    );
    const scaled = json.comparisons.find((c: { row: string }) => c.row === 'vol_scaled');
    expect(scaled.twin).toBe('vol_target');
    expect(scaled.low).toBeLessThanOrEqual(scaled.difference);
    expect(scaled.high).toBeGreaterThanOrEqual(scaled.difference);
    expect(json.verdict).toMatch(/^Aim (not )?met: /);
    expect(json.parameters.trendGatedDwell.k).toBe(PARAMETERS.trendGatedDwell.k);
    expect(json.annualisation.periodsPerYear).toBe(365 * 288);
    // 600 instants of 5 minutes (≈ 2.08 days), the regime changing every 50 instants: 11 switches.
    expect(json.symbols.AAAUSDT.regimeSwitchesPerDay).toBeCloseTo(11 / ((600 * 5) / 1440), 12);
    const md = readFileSync(join(work, 'out/REPORT.md'), 'utf8');
    expect(md).toContain('## Equal-weight portfolio of AAAUSDT + BBBUSDT');
    expect(md).toContain('## Regime strategies against their regime-free twins');
    expect(md).toContain('## Per regime');
    expect(md).toContain(`**Verdict.** ${json.verdict}`);
    expect(md).toContain('![AAAUSDT equity and drawdown](REPORT-AAAUSDT.svg)');
    const svg = readFileSync(join(work, 'out/REPORT-AAAUSDT.svg'), 'utf8');
    expect(svg.startsWith('<svg')).toBe(true);
    for (const s of strategies) expect(svg).toContain(`>${s.name}</text>`);
    expect(svg).not.toContain('@hindsight');
    expect(svg).toContain('AAAUSDT: equity and drawdown');
  }, 60_000);
});
