import { INTERVAL_MS } from '@regime/candles';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { candleCount, closedRange, missingRanges } from '../src/plan.ts';

const H = INTERVAL_MS['1h'];
const T0 = Date.UTC(2024, 1, 1);

describe('closedRange', () => {
  it('rounds the start up to a candle boundary and keeps the end exclusive', () => {
    expect(closedRange('1h', T0 + 1, T0 + 5 * H, T0 + 100 * H)).toEqual({ from: T0 + H, to: T0 + 5 * H });
    expect(closedRange('1h', T0, T0 + 4.5 * H, T0 + 100 * H)).toEqual({ from: T0, to: T0 + 5 * H });
  });

  it('stops before the candle still in progress at now', () => {
    // At T0 + 3.5h the 03:00 candle is open, so the last closed one opened at 02:00.
    expect(closedRange('1h', T0, T0 + 10 * H, T0 + 3.5 * H)).toEqual({ from: T0, to: T0 + 3 * H });
    // Exactly at the close instant the candle counts as closed.
    expect(closedRange('1h', T0, T0 + 10 * H, T0 + 3 * H)).toEqual({ from: T0, to: T0 + 3 * H });
  });

  it('is undefined when nothing has closed', () => {
    expect(closedRange('1h', T0, T0 + 10 * H, T0 + H - 1)).toBeUndefined();
    expect(closedRange('5m', T0 + 1, T0 + 2, T0 + H)).toBeUndefined();
  });
});

describe('missingRanges', () => {
  const range = { from: T0, to: T0 + 10 * H };

  it('asks for the whole range when nothing is stored', () => {
    expect(missingRanges(range, '1h', [])).toEqual([range]);
  });

  it('resumes after the last stored candle of a stored prefix', () => {
    const stored = [0, 1, 2, 3].map((i) => T0 + i * H);
    expect(missingRanges(range, '1h', stored)).toEqual([{ from: T0 + 4 * H, to: T0 + 10 * H }]);
  });

  it('asks for nothing when everything is stored, in any order, with repeats and outsiders', () => {
    const stored = [9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 3, -1, 10, 11].map((i) => T0 + i * H);
    expect(missingRanges(range, '1h', stored)).toEqual([]);
  });

  it('fills holes before, between and after stored runs', () => {
    const stored = [2, 3, 6].map((i) => T0 + i * H);
    expect(missingRanges(range, '1h', stored)).toEqual([
      { from: T0, to: T0 + 2 * H },
      { from: T0 + 4 * H, to: T0 + 6 * H },
      { from: T0 + 7 * H, to: T0 + 10 * H },
    ]);
  });

  it('covers exactly the open times not stored (property)', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: -3, max: 60 }), { maxLength: 60 }), (slots) => {
        const r = { from: T0, to: T0 + 50 * H };
        const stored = slots.map((i) => T0 + i * H);
        const missing = missingRanges(r, '1h', stored);
        const asked = new Set(
          missing.flatMap((m) => Array.from({ length: candleCount(m, '1h') }, (_, i) => m.from + i * H)),
        );
        for (let i = 0; i < 50; i++) {
          const t = T0 + i * H;
          expect(asked.has(t)).toBe(!stored.includes(t));
        }
        for (let i = 1; i < missing.length; i++) expect(missing[i]!.from).toBeGreaterThan(missing[i - 1]!.to);
      }),
    );
  });
});
