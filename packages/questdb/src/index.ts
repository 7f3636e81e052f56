export * from './backtest-equity.ts';
export * from './config.ts';
export { DEFAULT_ROWS_PER_REQUEST } from './ilp.ts';
export * from './model-lifecycle.ts';
export * from './outcomes.ts';
export { parseQuestDbTimestamp, timestampParam } from './pg-types.ts';
export * from './questdb.ts';
export * from './rows.ts';
export * from './tables.ts';
