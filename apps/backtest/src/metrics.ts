import type { StrategyRun } from './engine.ts';

/** 5-minute steps in a year of 365 days × 24 h: crypto trades around the clock. */
export const PERIODS_PER_YEAR = 365 * 288;
const YEAR_MS = 365 * 86_400_000;

export interface StrategyMetrics {
  totalReturn: number;
  /** Total return had trading been free (same positions, no fee, no slippage). */
  grossReturn: number;
  cagr: number;
  /** mean / standard deviation of the 5-minute net returns × √PERIODS_PER_YEAR (risk-free rate 0). */
  sharpe: number;
  /** mean / downside deviation (√ mean of min(r, 0)²) × √PERIODS_PER_YEAR. */
  sortino: number;
  /** Largest fall from a running peak of equity, as a positive fraction (0.25 = −25 %). */
  maxDrawdown: number;
  /** CAGR ÷ max drawdown (0 without a drawdown). */
  calmar: number;
  /** Mean exposure over the steps (1 = always fully long). */
  exposure: number;
  /** Share of the steps with a position (exposure > 0). */
  timeInMarket: number;
  /** Sum of |Δexposure|: 2 is one full round trip. */
  turnover: number;
  trades: number;
  /** In units of the starting equity. */
  feesPaid: number;
  slippagePaid: number;
}

/** Metrics of an equity curve given as step returns (the curve starts at 1 before the first step). */
export function metricsOf(
  returns: Float64Array,
  extra: {
    grossReturn: number;
    exposure: number;
    timeInMarket: number;
    turnover: number;
    trades: number;
    feesPaid: number;
    slippagePaid: number;
  },
  periodMs: number,
): StrategyMetrics {
  const n = returns.length;
  let value = 1;
  let peak = 1;
  let maxDrawdown = 0;
  let sum = 0;
  let downside = 0;
  for (let i = 0; i < n; i++) {
    const r = returns[i]!;
    value *= 1 + r;
    if (value > peak) peak = value;
    const drawdown = 1 - value / peak;
    if (drawdown > maxDrawdown) maxDrawdown = drawdown;
    sum += r;
    if (r < 0) downside += r * r;
  }
  const mean = n > 0 ? sum / n : 0;
  let squares = 0;
  for (let i = 0; i < n; i++) squares += (returns[i]! - mean) ** 2;
  const std = n > 1 ? Math.sqrt(squares / (n - 1)) : 0;
  const downsideDeviation = n > 0 ? Math.sqrt(downside / n) : 0;
  const annualise = Math.sqrt(PERIODS_PER_YEAR);
  const years = periodMs / YEAR_MS;
  const cagr = years > 0 && value > 0 ? value ** (1 / years) - 1 : 0;
  return {
    totalReturn: value - 1,
    cagr,
    calmar: maxDrawdown > 0 ? cagr / maxDrawdown : 0,
    sharpe: std > 0 ? (mean / std) * annualise : 0,
    sortino: downsideDeviation > 0 ? (mean / downsideDeviation) * annualise : 0,
    maxDrawdown,
    ...extra,
  };
}

export function runMetrics(run: StrategyRun, periodMs: number): StrategyMetrics {
  let exposure = 0;
  let inMarket = 0;
  for (const p of run.positions) {
    exposure += p;
    if (p > 0) inMarket++;
  }
  const n = run.positions.length;
  return metricsOf(
    run.returns,
    {
      grossReturn: run.grossEquity - 1,
      exposure: n > 0 ? exposure / n : 0,
      timeInMarket: n > 0 ? inMarket / n : 0,
      turnover: run.turnover,
      trades: run.trades,
      feesPaid: run.feesPaid,
      slippagePaid: run.slippagePaid,
    },
    periodMs,
  );
}

/**
 * One strategy over several symbols: the capital split equally at the start and each part left to
 * its symbol (no rebalancing), so portfolio equity is the mean of the symbols' equity curves. The
 * runs must share the instants. Costs are in units of the portfolio's starting equity.
 */
export function portfolioMetrics(runs: readonly StrategyRun[], periodMs: number): StrategyMetrics {
  const k = runs.length;
  const n = runs[0]?.equity.length ?? 0;
  let exposure = 0;
  let inMarket = 0;
  for (const run of runs) {
    for (const p of run.positions) {
      exposure += p / (k * n);
      if (p > 0) inMarket += 1 / (k * n);
    }
  }
  const mean = (f: (r: StrategyRun) => number) => runs.reduce((a, r) => a + f(r), 0) / k;
  return metricsOf(
    portfolioReturns(runs),
    {
      grossReturn: mean((r) => r.grossEquity) - 1,
      exposure: n > 0 ? exposure : 0,
      timeInMarket: n > 0 ? inMarket : 0,
      turnover: mean((r) => r.turnover),
      trades: runs.reduce((a, r) => a + r.trades, 0),
      feesPaid: mean((r) => r.feesPaid),
      slippagePaid: mean((r) => r.slippagePaid),
    },
    periodMs,
  );
}

/** Step returns of the equal-weight, never rebalanced portfolio of the runs (equity = their mean). */
export function portfolioReturns(runs: readonly StrategyRun[]): Float64Array {
  const k = runs.length;
  const n = runs[0]?.equity.length ?? 0;
  const returns = new Float64Array(n);
  let before = 1;
  for (let i = 0; i < n; i++) {
    let value = 0;
    for (const run of runs) value += run.equity[i]! / k;
    returns[i] = value / before - 1;
    before = value;
  }
  return returns;
}

/** Running drawdown of an equity curve (positive fractions), for the charts. */
export function drawdownCurve(equity: Float64Array): Float64Array {
  const out = new Float64Array(equity.length);
  let peak = 1;
  for (let i = 0; i < equity.length; i++) {
    if (equity[i]! > peak) peak = equity[i]!;
    out[i] = 1 - equity[i]! / peak;
  }
  return out;
}
