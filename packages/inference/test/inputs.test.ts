import { type Candle, closeTimeOf, INTERVAL_MS } from '@regime/candles';
import { describe, expect, it } from 'vitest';
import { type CandleSeries, CandlesNotReadyError, FEATURE_INTERVALS, inputsAsOf } from '../src/inputs.ts';

const WARMUP = { '5m': 10, '15m': 6, '1h': 4 };

function candle(interval: '5m' | '15m' | '1h', openTime: number, closed = true): Candle {
  return {
    openTime,
    open: 1,
    high: 2,
    low: 0.5,
    close: 1.5,
    volume: 3,
    closeTime: closeTimeOf(interval, openTime),
    closed,
  };
}

/** Candles of every interval opened before `now`, the last one in progress when it contains `now`. */
function recentAt(now: number, count = 20): CandleSeries {
  const out = {} as CandleSeries;
  for (const interval of FEATURE_INTERVALS) {
    const ms = INTERVAL_MS[interval];
    const newest = Math.floor((now - 1) / ms) * ms;
    out[interval] = [];
    for (let i = count - 1; i >= 0; i--) {
      const open = newest - i * ms;
      out[interval].push(candle(interval, open, open + ms <= now));
    }
  }
  return out;
}

const T = Date.UTC(2024, 2, 1, 10, 5);

describe('inputsAsOf (official)', () => {
  it('keeps only candles closed by T, the warm-up count of each, ending with the one closing last', () => {
    const { history, live } = inputsAsOf(recentAt(T), 'official', T, WARMUP);
    expect(live).toBeUndefined();
    for (const interval of FEATURE_INTERVALS) {
      const rows = history[interval];
      expect(rows).toHaveLength(WARMUP[interval]);
      for (const c of rows) expect(c.openTime + INTERVAL_MS[interval]).toBeLessThanOrEqual(T);
    }
    expect(history['5m'].at(-1)!.openTime).toBe(T - 300_000);
    expect(history['15m'].at(-1)!.openTime).toBe(Date.UTC(2024, 2, 1, 9, 45));
    expect(history['1h'].at(-1)!.openTime).toBe(Date.UTC(2024, 2, 1, 9));
  });

  it('never uses a candle that closes after T, even when it is there', () => {
    const { history } = inputsAsOf(recentAt(T + 600_000), 'official', T, WARMUP);
    expect(history['5m'].at(-1)!.openTime).toBe(T - 300_000);
  });

  it('refuses when the candle closing at T is missing or still in progress', () => {
    const missing = recentAt(T);
    missing['5m'].pop();
    expect(() => inputsAsOf(missing, 'official', T, WARMUP)).toThrow(CandlesNotReadyError);
    const inProgress = recentAt(T);
    inProgress['5m'].at(-1)!.closed = false;
    expect(() => inputsAsOf(inProgress, 'official', T, WARMUP)).toThrow(/not closed yet/);
  });
});

describe('inputsAsOf (live)', () => {
  it('hands over the candle containing T of every interval and keeps it out of the history', () => {
    const asOf = T + 120_000;
    const { history, live } = inputsAsOf(recentAt(asOf), 'live', asOf, WARMUP);
    expect(live!['5m']!.openTime).toBe(T);
    expect(live!['5m']!.closed).toBe(false);
    expect(live!['1h']!.openTime).toBe(Date.UTC(2024, 2, 1, 10));
    expect(history['5m'].at(-1)!.openTime).toBe(T - 300_000);
    expect(history['5m'].every((c) => c.closed)).toBe(true);
  });

  it('on a 5m boundary there is no live 5m candle: the closed one ending at T is the newest step', () => {
    const { history, live } = inputsAsOf(recentAt(T), 'live', T, WARMUP);
    expect(live!['5m']).toBeUndefined();
    expect(live!['15m']!.openTime).toBe(Date.UTC(2024, 2, 1, 10));
    expect(history['5m'].at(-1)!.openTime).toBe(T - 300_000);
  });

  it('refuses when the in-progress candle is not there yet', () => {
    const asOf = T + 120_000;
    const recent = recentAt(asOf);
    recent['5m'].pop();
    expect(() => inputsAsOf(recent, 'live', asOf, WARMUP)).toThrow(/in-progress 5m/);
  });
});
