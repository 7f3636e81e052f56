export * from './backfill.ts';
export * from './cli.ts';
export * from './config.ts';
export * from './plan.ts';
export * from './scan.ts';
export * from './store.ts';
export * from './summary.ts';
