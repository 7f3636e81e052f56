export * from './calibration.ts';
export * from './distribution.ts';
export * from './input-names.ts';
export * from './io.ts';
export * from './psi.ts';
