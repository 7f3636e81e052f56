export * from './config.ts';
export * from './cycle.ts';
export * from './drift-job.ts';
export * from './evaluation.ts';
export * from './live-f1.ts';
export * from './models-dir.ts';
export * from './promotion.ts';
export * from './trainer.ts';
