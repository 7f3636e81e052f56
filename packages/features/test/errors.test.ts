import { describe, expect, it } from 'vitest';
import {
  type CandleHistory,
  FeatureError,
  featureWindow,
  featureWindows,
  warmupCandles,
} from '../src/index.ts';
import { DAY, MIN, syntheticHistory } from './helpers.ts';

const START = Date.UTC(2024, 0, 1);
const history = syntheticHistory(11, START, 6_000);
const T = START + 18 * DAY + 10 * 60 * MIN; // 10:00, aligned to every interval

function featureError(run: () => unknown): FeatureError {
  try {
    run();
  } catch (error) {
    if (error instanceof FeatureError) return error;
    throw error;
  }
  throw new Error('expected a FeatureError');
}

const without = (h: CandleHistory, interval: keyof CandleHistory, openTimes: number[]): CandleHistory => ({
  ...h,
  [interval]: h[interval].filter((c) => !openTimes.includes(c.openTime)),
});

describe('FeatureError', () => {
  it('insufficient_history names the interval, what is needed and what was got', () => {
    const need = warmupCandles();
    const short: CandleHistory = {
      ...history,
      '15m': history['15m'].filter((c) => c.openTime >= T - (need['15m'] - 1) * 15 * MIN),
    };
    const error = featureError(() => featureWindow(short, T));
    expect(error.code).toBe('insufficient_history');
    expect(error.interval).toBe('15m');
    expect(error.needed).toBe(need['15m']);
    expect(error.got).toBe(need['15m'] - 1);
    expect(error.message).toMatch(/needs 444 .*15m.*got 443/);
    // Exactly the warm-up is enough.
    const enough: CandleHistory = {
      ...history,
      '15m': history['15m'].filter((c) => c.openTime >= T - need['15m'] * 15 * MIN),
    };
    expect(featureWindow(enough, T).steps).toBe(64);
  });

  it('gap inside the needed range lists the missing open times', () => {
    const hole = [T - 60 * MIN, T - 55 * MIN];
    const error = featureError(() => featureWindow(without(history, '5m', hole), T));
    expect(error.code).toBe('gap');
    expect(error.interval).toBe('5m');
    expect(error.missing).toEqual(hole);
    expect(error.missingCount).toBe(2);
  });

  it('the newest candle not written yet is a gap at its open time', () => {
    const error = featureError(() => featureWindow(without(history, '1h', [T - 60 * MIN]), T));
    expect(error.code).toBe('gap');
    expect(error.interval).toBe('1h');
    expect(error.missing).toEqual([T - 60 * MIN]);
  });

  it('a gap older than the needed range is fine: indicators restart after it', () => {
    const need = warmupCandles()['1h'];
    const oldHole = T - (need + 5) * 60 * MIN;
    const withHole = without(history, '1h', [oldHole]);
    const afterHole: CandleHistory = { ...history, '1h': history['1h'].filter((c) => c.openTime > oldHole) };
    expect(featureWindow(withHole, T)).toEqual(featureWindow(afterHole, T));
    expect(featureWindow(withHole, T)).not.toEqual(featureWindow(history, T));
  });

  it('unsorted and duplicated candles are refused', () => {
    const swapped = [...history['15m']];
    const k = swapped.findIndex((c) => c.openTime === T - 10 * 15 * MIN);
    [swapped[k], swapped[k + 1]] = [swapped[k + 1]!, swapped[k]!];
    expect(featureError(() => featureWindow({ ...history, '15m': swapped }, T)).code).toBe('unsorted');
    const duplicated = [...history['5m']];
    const d = duplicated.findIndex((c) => c.openTime === T - 100 * 5 * MIN);
    duplicated.splice(d, 0, duplicated[d]!);
    expect(featureError(() => featureWindow({ ...history, '5m': duplicated }, T)).code).toBe('unsorted');
  });

  it('an invalid closed candle is refused', () => {
    const broken = history['15m'].map((c) =>
      c.openTime === T - 100 * 15 * MIN ? { ...c, close: Number.NaN } : c,
    );
    const error = featureError(() => featureWindow({ ...history, '15m': broken }, T));
    expect(error.code).toBe('invalid_candle');
    expect(error.interval).toBe('15m');
  });

  it('the batch path can skip the as-of instants whose window hits a gap', () => {
    const hole = T - 30 * MIN;
    const gappy = without(history, '5m', [hole]);
    const asOfs = [T - DAY, T, T + 5 * MIN, T + 2 * DAY];
    expect(() => featureWindows(gappy, asOfs)).toThrow(FeatureError);
    const skipped: [number, string, number[] | undefined][] = [];
    const windows = featureWindows(gappy, asOfs, {
      onError: 'skip',
      onSkip: (asOf, error) => skipped.push([asOf, error.code, error.missing]),
    });
    expect(windows.map((w) => w.asOf)).toEqual([T - DAY, T + 2 * DAY]);
    expect(skipped).toEqual([
      [T, 'gap', [hole]],
      [T + 5 * MIN, 'gap', [hole]],
    ]);
    for (const w of windows) expect(w).toEqual(featureWindow(gappy, w.asOf));
  });
});

describe('warmupCandles() always suffices', () => {
  it('for every minute of an hour, official and live, with exactly warmupCandles() closed candles per interval', () => {
    const need = warmupCandles();
    const ms = { '5m': 5 * MIN, '15m': 15 * MIN, '1h': 60 * MIN } as const;
    for (let minute = 0; minute < 60; minute++) {
      const t = T + minute * MIN;
      const exact = {} as CandleHistory;
      for (const interval of ['5m', '15m', '1h'] as const) {
        exact[interval] = history[interval]
          .filter((c) => c.openTime + ms[interval] <= t)
          .slice(-need[interval]);
      }
      expect(featureWindow(exact, t).steps).toBe(64);
      const inProgress = history['5m'].find((c) => c.openTime <= t - 1 && c.openTime + ms['5m'] > t);
      if (inProgress)
        expect(featureWindow(exact, t, { live: { '5m': { ...inProgress, closed: false } } }).steps).toBe(64);
    }
  });
});
