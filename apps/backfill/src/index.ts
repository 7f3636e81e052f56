export * from './cli.ts';
export * from './config.ts';
export * from './summary.ts';
