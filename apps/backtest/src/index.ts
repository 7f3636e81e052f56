export { type BacktestResult, historyStart, type PredictSymbol, runBacktest } from './backtest.ts';
export { BadInputError } from './config.ts';
export { type Costs, runStrategy, type StrategyRun } from './engine.ts';
export { type MarketSeries, marketSeries } from './market.ts';
export { PERIODS_PER_YEAR, type StrategyMetrics } from './metrics.ts';
export { loadStrategies } from './strategies/index.ts';
export type { MarketView, Strategy } from './strategy.ts';
export { asOfInstants, type InstantPrediction, walkForwardPredictions } from './walk-forward.ts';
