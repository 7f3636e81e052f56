export * from './book.ts';
export * from './collector.ts';
export * from './config.ts';
export * from './metrics.ts';
export * from './writer.ts';
