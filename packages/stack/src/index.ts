export * from './config.ts';
export * from './health.ts';
export { type EnsureOutcome, questdbJarPath, type Report } from './questdb-server.ts';
export * from './stack.ts';
export { MissingToolError } from './tools.ts';
