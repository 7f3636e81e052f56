export * from './config.ts';
export * from './score.ts';
export * from './scorer.ts';
export * from './tick.ts';
