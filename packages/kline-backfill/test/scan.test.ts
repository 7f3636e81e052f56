import { type Candle, closeTimeOf, INTERVAL_MS } from '@regime/candles';
import { describe, expect, it } from 'vitest';
import { RangeScanner } from '../src/scan.ts';

const M5 = INTERVAL_MS['5m'];
const T0 = Date.UTC(2024, 1, 1);

function candle(slot: number, patch: Partial<Candle> = {}): Candle {
  const openTime = T0 + slot * M5;
  return {
    openTime,
    open: 100,
    high: 110,
    low: 90,
    close: 105,
    volume: 3,
    closeTime: closeTimeOf('5m', openTime),
    closed: true,
    ...patch,
  };
}

const range = { from: T0, to: T0 + 10 * M5 };

describe('RangeScanner', () => {
  it('accepts a complete series across pages and finds no gap', () => {
    const scanner = new RangeScanner('5m', range);
    const first = scanner.accept([0, 1, 2, 3].map((i) => candle(i)));
    const second = scanner.accept([4, 5, 6, 7, 8, 9].map((i) => candle(i)));
    expect([...first.accepted, ...second.accepted].map((c) => c.openTime)).toEqual(
      Array.from({ length: 10 }, (_, i) => T0 + i * M5),
    );
    expect(scanner.finish()).toEqual([]);
  });

  it('reports missing open times at the start, inside (across a page boundary) and at the end', () => {
    const scanner = new RangeScanner('5m', range);
    scanner.accept([2, 3].map((i) => candle(i)));
    scanner.accept([6, 7].map((i) => candle(i)));
    expect(scanner.finish()).toEqual([
      { from: T0, to: T0 + 2 * M5, count: 2 },
      { from: T0 + 4 * M5, to: T0 + 6 * M5, count: 2 },
      { from: T0 + 8 * M5, to: T0 + 10 * M5, count: 2 },
    ]);
  });

  it('reports an empty answer as one gap over the whole range', () => {
    expect(new RangeScanner('5m', range).finish()).toEqual([{ ...range, count: 10 }]);
  });

  it('drops repeats, older candles and candles outside the range', () => {
    const scanner = new RangeScanner('5m', range);
    const result = scanner.accept([
      candle(-1),
      candle(0),
      candle(1),
      candle(1),
      candle(0),
      candle(2),
      candle(10),
    ]);
    expect(result.accepted.map((c) => c.openTime)).toEqual([T0, T0 + M5, T0 + 2 * M5]);
    expect(result.duplicates).toBe(2);
    expect(result.outOfRange).toBe(2);
  });

  it('rejects invalid candles without calling them gaps', () => {
    const scanner = new RangeScanner('5m', { from: T0, to: T0 + 4 * M5 });
    const result = scanner.accept([
      candle(0),
      candle(1, { high: 80 }),
      candle(2, { volume: -1 }),
      { ...candle(2), openTime: T0 + 3 * M5 + 7 },
      candle(3, { close: Number.NaN }),
    ]);
    expect(result.accepted.map((c) => c.openTime)).toEqual([T0]);
    expect(result.rejected.map((r) => r.problem)).toEqual([
      'high_below_low',
      'negative_volume',
      'misaligned_open_time',
      'non_finite',
    ]);
    expect(scanner.finish()).toEqual([]);
  });

  it('does not let a rejected candle hide a later gap', () => {
    const scanner = new RangeScanner('5m', { from: T0, to: T0 + 4 * M5 });
    scanner.accept([candle(0), candle(1, { low: -5 })]);
    expect(scanner.finish()).toEqual([{ from: T0 + 2 * M5, to: T0 + 4 * M5, count: 2 }]);
  });
});
