import { type Candle, INTERVAL_MS, type Interval } from '@regime/candles';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type CandleHistory, featureWindow, WINDOW_INTERVALS } from '../src/index.ts';
import { cutAt, DAY, MIN, realDataAvailable, realHistory, syntheticHistory } from './helpers.ts';

/** Any candle that is not closed at T: opened after T − interval, every other field arbitrary (NaN, ∞, …). */
function candleAfter(interval: Interval, asOf: number): fc.Arbitrary<Candle> {
  const anyNumber = fc.double();
  return fc.record({
    openTime: fc.integer({ min: asOf - INTERVAL_MS[interval] + 1, max: asOf + 30 * DAY }),
    open: anyNumber,
    high: anyNumber,
    low: anyNumber,
    close: anyNumber,
    volume: anyNumber,
    closeTime: fc.integer(),
    closed: fc.boolean(),
  });
}

function appendedAfter(asOf: number): fc.Arbitrary<Record<Interval & keyof CandleHistory, Candle[]>> {
  return fc.record({
    '5m': fc.array(candleAfter('5m', asOf), { maxLength: 6 }),
    '15m': fc.array(candleAfter('15m', asOf), { maxLength: 6 }),
    '1h': fc.array(candleAfter('1h', asOf), { maxLength: 6 }),
  });
}

function withAppended(history: CandleHistory, extra: Record<keyof CandleHistory, Candle[]>): CandleHistory {
  const out = { ...history };
  for (const interval of WINDOW_INTERVALS) out[interval] = [...history[interval], ...extra[interval]];
  return out;
}

/** T on any minute, so 15m closes, 5m closes inside a period and minutes in between all occur. */
const minuteIn = (from: number, to: number) =>
  fc.integer({ min: from / MIN, max: to / MIN }).map((m) => m * MIN);

describe.skipIf(!realDataAvailable)('no look-ahead on real BTCUSDT candles (32 days of 5m, 15m, 1h)', () => {
  const from = Date.UTC(2024, 0, 1);
  const to = Date.UTC(2024, 1, 2);
  const real = realAvailableHistory(from, to);

  it('appending any candles after T never changes featureWindow(…, T)', () => {
    const asOf = minuteIn(from + 6 * DAY, to - DAY);
    const scenario = asOf.chain((t) => fc.tuple(fc.constant(t), appendedAfter(t)));
    fc.assert(
      fc.property(scenario, ([t, extra]) => {
        const known = cutAt(real, t);
        const base = featureWindow(known, t);
        expect(featureWindow(withAppended(known, extra), t)).toEqual(base);
        // The real future (every later candle of the 32 days) changes nothing either.
        expect(featureWindow(real, t)).toEqual(base);
      }),
      { numRuns: 40 },
    );
  });
});

function realAvailableHistory(from: number, to: number): CandleHistory {
  return realDataAvailable ? realHistory(from, to) : { '5m': [], '15m': [], '1h': [] };
}

if (!realDataAvailable)
  console.warn('[features] ../shared/data/klines is missing: real-data look-ahead test skipped');

describe('no look-ahead on generated candles', () => {
  it('appending any candles after T never changes featureWindow(…, T)', () => {
    const start = Date.UTC(2023, 5, 1);
    const scenario = fc
      .tuple(fc.integer({ min: 1, max: 1_000_000 }), minuteIn(start + 17 * DAY, start + 20 * DAY))
      .chain(([seed, t]) => fc.tuple(fc.constant(seed), fc.constant(t), appendedAfter(t)));
    fc.assert(
      fc.property(scenario, ([seed, t, extra]) => {
        const known = cutAt(syntheticHistory(seed, start, 5_900), t);
        expect(featureWindow(withAppended(known, extra), t)).toEqual(featureWindow(known, t));
      }),
      { numRuns: 25 },
    );
  });
});
