export * from './backfill.ts';
export * from './plan.ts';
export * from './scan.ts';
export * from './store.ts';
