import { describe, expect, it } from 'vitest';
import { aggregateCandles, aggregateSeries, FeatureError } from '../src/index.ts';
import { MIN, realDataAvailable, realHistory, syntheticHistory } from './helpers.ts';

describe('aggregateCandles', () => {
  const fives = syntheticHistory(2, Date.UTC(2024, 0, 1), 12)['5m'];

  it('builds a partial 15m from the first 5m parts and a closed one from all three', () => {
    const partial = aggregateCandles(fives.slice(0, 2), '15m');
    expect(partial).toMatchObject({
      openTime: fives[0]!.openTime,
      open: fives[0]!.open,
      high: Math.max(fives[0]!.high, fives[1]!.high),
      low: Math.min(fives[0]!.low, fives[1]!.low),
      close: fives[1]!.close,
      volume: fives[0]!.volume + fives[1]!.volume,
      closeTime: fives[0]!.openTime + 15 * MIN - 1,
      closed: false,
    });
    expect(aggregateCandles(fives.slice(0, 3), '15m').closed).toBe(true);
  });

  it('refuses parts that skip a candle, start mid-period or leave the period', () => {
    expect(() => aggregateCandles([fives[0]!, fives[2]!], '15m')).toThrow(FeatureError);
    expect(() => aggregateCandles(fives.slice(1, 3), '15m')).toThrow(/lacks its first part/);
    expect(() => aggregateCandles(fives.slice(0, 4), '15m')).toThrow(/outside/);
  });

  it('aggregateSeries keeps complete periods only', () => {
    const holed = fives.filter((_, i) => i !== 4);
    expect(aggregateSeries(holed, '15m').map((c) => c.openTime)).toEqual(
      [0, 6, 9].map((i) => fives[i]!.openTime),
    );
  });
});

describe.skipIf(!realDataAvailable)('aggregateSeries on real candles', () => {
  it('5m aggregated to 15m and 1h equals the exchange 15m and 1h candles (January 2024)', () => {
    const real = realHistory(Date.UTC(2024, 0, 1), Date.UTC(2024, 1, 1), 0);
    const strip = (c: {
      openTime: number;
      open: number;
      high: number;
      low: number;
      close: number;
      volume: number;
    }) => [c.openTime, c.open, c.high, c.low, c.close];
    expect(aggregateSeries(real['5m'], '15m').map(strip)).toEqual(real['15m'].map(strip));
    expect(aggregateSeries(real['5m'], '1h').map(strip)).toEqual(real['1h'].map(strip));
  });
});
