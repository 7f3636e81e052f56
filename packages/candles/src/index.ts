export * from './candle.ts';
export * from './instant.ts';
export * from './interval.ts';
export * from './random.ts';
export * from './regime.ts';
export * from './search.ts';
export * from './symbol.ts';
export * from './validate.ts';
