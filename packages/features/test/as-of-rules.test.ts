import { type Candle, INTERVAL_MS, type Interval } from '@regime/candles';
import { describe, expect, it } from 'vitest';
import {
  aggregateCandles,
  type CandleHistory,
  FEATURE_COUNT,
  type FeatureWindow,
  featureSeries,
  featureWindow,
  IncrementalFeatures,
  WINDOW_INTERVALS,
  WINDOW_STEPS,
} from '../src/index.ts';
import { cutAt, DAY, MIN, syntheticHistory } from './helpers.ts';

const START = Date.UTC(2024, 0, 1);
const history = syntheticHistory(7, START, 6_000); // ≈ 20.8 days
const series = Object.fromEntries(
  WINDOW_INTERVALS.map((interval) => [interval, featureSeries(history[interval], interval)]),
) as Record<Interval, ReturnType<typeof featureSeries>>;
/** 15m-aligned, 10:15 UTC, late enough for every warm-up. */
const P = START + 18 * DAY + 10 * 60 * MIN + 15 * MIN;

function row(interval: Interval, openTime: number): Float64Array {
  const s = series[interval];
  const i = (openTime - s.openTimes[0]!) / INTERVAL_MS[interval];
  expect(s.openTimes[i]).toBe(openTime);
  return s.values.subarray(i * FEATURE_COUNT, (i + 1) * FEATURE_COUNT);
}

function block(w: FeatureWindow, step: number, k: number): number[] {
  const base = step * 36 + k * FEATURE_COUNT;
  return Array.from(w.values.subarray(base, base + FEATURE_COUNT));
}

/** Open time of the newest candle of `interval` closed by `end`. */
const closedBy = (interval: Interval, end: number) =>
  Math.floor(end / INTERVAL_MS[interval]) * INTERVAL_MS[interval] - INTERVAL_MS[interval];

/** Every step's 5m and 1h columns are the newest candle of that interval closed by the step's end. */
function expectContext(w: FeatureWindow): void {
  w.stepEnds.forEach((end, s) => {
    expect(block(w, s, 1)).toEqual(Array.from(row('5m', closedBy('5m', end))));
    expect(block(w, s, 2)).toEqual(Array.from(row('1h', closedBy('1h', end))));
  });
}

/** The 15m state after committing the closed 15m candles before `periodOpen`, peeked with `candle`. */
function peeked15m(periodOpen: number, candle: Candle): number[] {
  const engine = new IncrementalFeatures('15m');
  for (const c of history['15m']) if (c.openTime < periodOpen) engine.update(c);
  return Array.from(engine.peek(candle));
}

const fivesOf = (from: number, count: number) =>
  history['5m'].filter((c) => c.openTime >= from && c.openTime < from + count * 5 * MIN);

describe('as-of rules', () => {
  it('at a 15m close, the newest step is the 15m candle that just closed', () => {
    const w = featureWindow(history, P);
    expect(w.steps).toBe(WINDOW_STEPS);
    expect(w.values).toHaveLength(WINDOW_STEPS * 36);
    expect(w.stepEnds).toEqual(Array.from({ length: 64 }, (_, s) => P - (63 - s) * 15 * MIN));
    w.stepEnds.forEach((end, s) => {
      expect(block(w, s, 0)).toEqual(Array.from(row('15m', end - 15 * MIN)));
    });
    expectContext(w);
    // Candles after T change nothing: the full history and the history cut at T agree.
    expect(featureWindow(cutAt(history, P), P)).toEqual(w);
  });

  it.each([1, 2])('%i closed 5m candle(s) into a period: the newest step is their partial 15m', (parts) => {
    const T = P + parts * 5 * MIN;
    const w = featureWindow(history, T);
    expect(w.stepEnds.at(-1)).toBe(T);
    expect(w.stepEnds.at(-2)).toBe(P);
    const partial = aggregateCandles(fivesOf(P, parts), '15m');
    expect(partial.closed).toBe(false);
    expect(block(w, 63, 0)).toEqual(peeked15m(P, partial));
    for (let s = 0; s < 63; s++)
      expect(block(w, s, 0)).toEqual(Array.from(row('15m', w.stepEnds[s]! - 15 * MIN)));
    expectContext(w);
  });

  it('inside the first 5 minutes of a period (no closed 5m yet) the window is the one of the 15m close', () => {
    const atClose = featureWindow(history, P);
    const w = featureWindow(history, P + 2 * MIN);
    expect(w.stepEnds).toEqual(atClose.stepEnds);
    expect(w.values).toEqual(atClose.values);
  });

  it('never uses a 1h candle that closes after a step end', () => {
    const T = P + 30 * MIN + 10 * MIN; // 10:55: steps end at 10:55, 10:45, 10:30, 10:15, 10:00, 09:45 …
    const hourOpen = closedBy('1h', T); // 09:00, closes 10:00
    const before = featureWindow(history, T);
    const changed: CandleHistory = {
      ...history,
      '1h': history['1h'].map((c) => (c.openTime === hourOpen ? { ...c, close: c.low, open: c.high } : c)),
    };
    const after = featureWindow(changed, T);
    let differing = 0;
    before.stepEnds.forEach((end, s) => {
      if (end < hourOpen + 60 * MIN) expect(block(after, s, 2)).toEqual(block(before, s, 2));
      else if (block(after, s, 2).some((v, j) => v !== block(before, s, 2)[j])) differing++;
      expect(block(after, s, 0)).toEqual(block(before, s, 0));
      expect(block(after, s, 1)).toEqual(block(before, s, 1));
    });
    // Steps ending at or after 10:00 do see the changed candle (so the check above can fail).
    expect(differing).toBe(before.stepEnds.filter((end) => end >= hourOpen + 60 * MIN).length);
  });

  it('never uses a 5m candle that closes after a step end', () => {
    const T = P + 10 * MIN;
    const fiveOpen = P + 5 * MIN; // closes at T
    const before = featureWindow(history, T);
    const changed: CandleHistory = {
      ...history,
      '5m': history['5m'].map((c) => (c.openTime === fiveOpen ? { ...c, close: c.low } : c)),
    };
    const after = featureWindow(changed, T);
    for (let s = 0; s < 63; s++)
      expect(Array.from(after.values.subarray(s * 36, s * 36 + 36))).toEqual(
        Array.from(before.values.subarray(s * 36, s * 36 + 36)),
      );
    expect(block(after, 63, 0)).not.toEqual(block(before, 63, 0));
    expect(block(after, 63, 1)).not.toEqual(block(before, 63, 1));
  });
});

describe('live mode', () => {
  const T = P + 7 * MIN;
  const live5: Candle = { ...fivesOf(P + 5 * MIN, 1)[0]!, close: 1, closed: false };
  live5.close = (live5.high + live5.low) / 2;

  it('uses the live 15m candle for the newest step; context stays on closed candles', () => {
    const live15: Candle = { ...aggregateCandles(fivesOf(P, 2), '15m'), closed: false };
    const w = featureWindow(history, T, { live: { '15m': live15 } });
    expect(w.stepEnds.at(-1)).toBe(T);
    expect(block(w, 63, 0)).toEqual(peeked15m(P, live15));
    expectContext(w);
  });

  it('at a 5m close, a live 15m holding exactly the closed 5m candles gives the official window', () => {
    const T10 = P + 10 * MIN;
    const live15: Candle = { ...aggregateCandles(fivesOf(P, 2), '15m'), closed: false };
    expect(featureWindow(history, T10, { live: { '15m': live15 } })).toEqual(featureWindow(history, T10));
  });

  it('without a live 15m, builds the newest step from the closed 5m plus the live 5m', () => {
    const w = featureWindow(history, T, { live: { '5m': live5 } });
    const partial = aggregateCandles([...fivesOf(P, 1), live5], '15m');
    expect(block(w, 63, 0)).toEqual(peeked15m(P, partial));
    expectContext(w);
  });

  it('before any 5m closes in the period, the live 5m alone is the newest step', () => {
    const early: Candle = { ...fivesOf(P, 1)[0]!, closed: false };
    const w = featureWindow(history, P + 2 * MIN, { live: { '5m': early } });
    expect(w.stepEnds.at(-1)).toBe(P + 2 * MIN);
    expect(block(w, 63, 0)).toEqual(peeked15m(P, aggregateCandles([early], '15m')));
  });

  it('ignores in-progress 1h candles and candles opened at or after T', () => {
    const plain = featureWindow(history, T);
    const wild = (interval: Interval, openTime: number): Candle => ({
      openTime,
      open: 1,
      high: 1e6,
      low: 0.5,
      close: 9e5,
      volume: 1,
      closeTime: openTime + INTERVAL_MS[interval] - 1,
      closed: false,
    });
    const w = featureWindow(history, T, { live: { '1h': wild('1h', closedBy('1h', T) + 60 * MIN) } });
    expect(w).toEqual(plain);
    const atClose = featureWindow(history, P, { live: { '15m': wild('15m', P), '5m': wild('5m', P) } });
    expect(atClose).toEqual(featureWindow(history, P));
  });

  it('takes a just-closed live candle the history does not hold yet', () => {
    const lagging: CandleHistory = {
      ...history,
      '15m': history['15m'].filter((c) => c.openTime < P - 15 * MIN),
    };
    const justClosed = history['15m'].find((c) => c.openTime === P - 15 * MIN)!;
    expect(featureWindow(lagging, P, { live: { '15m': justClosed } })).toEqual(featureWindow(history, P));
  });
});
