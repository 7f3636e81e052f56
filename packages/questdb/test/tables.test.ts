import { describe, expect, it } from 'vitest';
import { assertTableName, DEFAULT_TABLES, uniqueTableNames } from '../src/index.ts';

describe('table names', () => {
  it.each([
    'klines; drop table x',
    'klines--',
    'Klines',
    '1klines',
    'klines"',
    "klines'",
    'kl ines',
    '',
    'a'.repeat(64),
    'klines.x',
  ])('rejects %j', (name) => {
    expect(() => assertTableName(name)).toThrow(/invalid table name/);
  });

  it.each(['klines', 'regime_predictions', '_t', 'a'.repeat(63), 'klines_t0a1b2c'])('accepts %j', (name) => {
    expect(assertTableName(name)).toBe(name);
  });

  it('makes distinct valid names per call, derived from the defaults', () => {
    const a = uniqueTableNames();
    const b = uniqueTableNames();
    expect(a.klines).not.toBe(b.klines);
    for (const [key, name] of Object.entries(a)) {
      expect(assertTableName(name)).toBe(name);
      expect(name.startsWith(`${DEFAULT_TABLES[key as keyof typeof DEFAULT_TABLES]}_t`)).toBe(true);
    }
  });
});
