export * from './clock.ts';
export * from './config.ts';
export * from './http.ts';
export * from './load.ts';
export * from './logger.ts';
export * from './redact.ts';
export * from './redis-errors.ts';
export * from './signals.ts';
