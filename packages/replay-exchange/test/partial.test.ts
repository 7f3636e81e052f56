import type { Candle } from '@regime/candles';
import { candleProblem } from '@regime/candles';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { interpolate } from '../src/partial.ts';

const candleArb = fc
  .record({
    a: fc.integer({ min: 100, max: 10_000_000 }),
    b: fc.integer({ min: 100, max: 10_000_000 }),
    c: fc.integer({ min: 100, max: 10_000_000 }),
    d: fc.integer({ min: 100, max: 10_000_000 }),
    volume: fc.integer({ min: 0, max: 10_000_000 }),
  })
  .map(({ a, b, c, d, volume }): Candle => {
    const [low, x, y, high] = [a, b, c, d].sort((p, q) => p - q) as [number, number, number, number];
    return {
      openTime: 1_700_000_100_000 - (1_700_000_100_000 % 300_000),
      open: x / 100,
      high: high / 100,
      low: low / 100,
      close: y / 100,
      volume: volume / 1000,
      closeTime: 1_700_000_100_000 - (1_700_000_100_000 % 300_000) + 299_999,
      closed: true,
    };
  });

describe('interpolate (in-progress candle without finer data)', () => {
  it('is always a sound candle inside the final one, and meets it at the end', () => {
    fc.assert(
      fc.property(candleArb, fc.double({ min: 0, max: 1, noNaN: true }), fc.boolean(), (c, f, flip) => {
        const final = flip ? { ...c, open: c.close, close: c.open } : c;
        const p = interpolate(final, f);
        expect(candleProblem(p, '5m')).toBeUndefined();
        expect(p.closed).toBe(false);
        expect(p.open).toBe(final.open);
        expect(p.high).toBeLessThanOrEqual(final.high);
        expect(p.low).toBeGreaterThanOrEqual(final.low);
        expect(p.volume).toBeLessThanOrEqual(final.volume);
        const end = interpolate(final, 1);
        expect([end.high, end.low, end.close, end.volume]).toEqual([
          final.high,
          final.low,
          final.close,
          final.volume,
        ]);
      }),
    );
  });

  it('only widens over time (high never falls, low never rises, volume never shrinks)', () => {
    fc.assert(
      fc.property(
        candleArb,
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (c, f1, f2) => {
          const [early, late] = [interpolate(c, Math.min(f1, f2)), interpolate(c, Math.max(f1, f2))];
          expect(late.high).toBeGreaterThanOrEqual(early.high);
          expect(late.low).toBeLessThanOrEqual(early.low);
          expect(late.volume).toBeGreaterThanOrEqual(early.volume);
        },
      ),
    );
  });

  it('scales trade details with the volume and keeps at least one trade once there is volume', () => {
    const final: Candle = {
      openTime: 0,
      open: 10,
      high: 12,
      low: 9,
      close: 11,
      volume: 100,
      closeTime: 299_999,
      closed: true,
      quoteVolume: 1050,
      trades: 40,
      takerBuyBaseVolume: 60,
      takerBuyQuoteVolume: 630,
    };
    const half = interpolate(final, 0.5);
    expect(half.volume).toBe(50);
    expect(half.trades).toBe(20);
    expect(half.quoteVolume).toBe(525);
    expect(interpolate(final, 0.001).trades).toBe(1);
    expect(interpolate({ ...final, trades: undefined, quoteVolume: undefined }, 0.5).trades).toBeUndefined();
  });
});
