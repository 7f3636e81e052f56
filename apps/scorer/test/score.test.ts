import type { Candle } from '@regime/candles';
import { DEFAULT_LABELER_PARAMS, settledLabel, settleWindow } from '@regime/labeler';
import { type PredictionRow, REGIME_IDS } from '@regime/questdb';
import { describe, expect, it } from 'vitest';
import { candleRangeFor, scorePredictions } from '../src/score.ts';

const params = DEFAULT_LABELER_PARAMS;
const FIVE_MIN = 300_000;
const HOUR = 3_600_000;
const T = Date.UTC(2025, 5, 1, 12, 5);
const window = settleWindow(T, params);

/** A deterministic random walk of 5m candles covering T's settle window. */
function walk(from: number, to: number): Candle[] {
  const out: Candle[] = [];
  let price = 100;
  let seed = 12345;
  const next = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648 - 0.5;
  };
  for (let t = from; t < to; t += FIVE_MIN) {
    const open = price;
    const close = open * Math.exp(0.004 * next());
    out.push({
      openTime: t,
      open,
      high: Math.max(open, close) * 1.001,
      low: Math.min(open, close) * 0.999,
      close,
      volume: 1,
      closeTime: t + FIVE_MIN - 1,
      closed: true,
    });
    price = close;
  }
  return out;
}

const candles = walk(window.fromOpenTime - HOUR, window.toOpenTime + HOUR);
const probabilities = Object.fromEntries(
  REGIME_IDS.map((id) => [id, 1 / 6]),
) as PredictionRow['probabilities'];
const prediction = (regime: string): PredictionRow => ({
  ts: T,
  symbol: 'BTCUSDT',
  mode: 'official',
  regime,
  confidence: 1 / 6,
  probabilities,
  modelVersion: 'm-1',
  latencyMs: 1,
  createdAt: T + 1,
});
const options = { params, labelerVersion: '2.0.0', giveUpMs: HOUR };

describe('scorePredictions', () => {
  const truth = settledLabel(candles, T, params);
  if (truth.kind !== 'settled') throw new Error('the walk must cover the window');

  it('waits until the settle window has closed, then writes the settled regime', () => {
    expect(scorePredictions([prediction('range')], candles, window.settledAt - 1, options)).toEqual({
      outcomes: [],
      pending: [{ prediction: prediction('range'), settledAt: window.settledAt, state: 'settling' }],
    });
    const { outcomes, pending } = scorePredictions(
      [prediction(truth.regime)],
      candles,
      window.settledAt,
      options,
    );
    expect(pending).toEqual([]);
    expect(outcomes).toEqual([
      {
        ts: T,
        symbol: 'BTCUSDT',
        modelVersion: 'm-1',
        predicted: truth.regime,
        probabilities,
        realised: truth.regime,
        correct: true,
        settledAt: window.settledAt,
        labelerVersion: '2.0.0',
        next4h: outcomes[0]!.next4h,
      },
    ]);
    const wrong = REGIME_IDS.find((id) => id !== truth.regime)!;
    expect(
      scorePredictions([prediction(wrong)], candles, window.settledAt + 10 * HOUR, options).outcomes[0],
    ).toMatchObject({
      predicted: wrong,
      realised: truth.regime,
      correct: false,
      settledAt: window.settledAt,
    });
  });

  it('adds what the next 4 hours did, from the candles of the settle window alone', () => {
    const [row] = scorePredictions([prediction('range')], candles, window.settledAt, options).outcomes;
    const closeAt = (t: number) => candles.find((c) => c.openTime + FIVE_MIN === t)!.close;
    expect(row!.next4h!.return).toBeCloseTo(closeAt(T + 4 * HOUR) / closeAt(T) - 1, 12);
    // 16 fifteen-minute steps after T against the 1440 of the 15 days before it.
    const steps = (from: number, n: number) =>
      Array.from({ length: n }, (_, k) =>
        Math.log(closeAt(from + (k + 1) * 900_000) / closeAt(from + k * 900_000)),
      );
    const rms = (r: number[]) => Math.sqrt(r.reduce((a, x) => a + x * x, 0) / r.length);
    const ahead = steps(T, 16);
    expect(row!.next4h!.volRatio).toBeCloseTo(rms(ahead) / rms(steps(T - 15 * 24 * HOUR, 1440)), 9);
    expect(row!.next4h!.efficiency).toBeCloseTo(
      Math.abs(ahead.reduce((a, b) => a + b, 0)) / ahead.reduce((a, b) => a + Math.abs(b), 0),
      9,
    );
    const inWindow = candles.filter(
      (c) => c.openTime >= window.fromOpenTime && c.openTime < window.toOpenTime,
    );
    expect(scorePredictions([prediction('range')], inWindow, window.settledAt, options).outcomes[0]).toEqual(
      row,
    );
  });

  it('a missing candle: late until SCORE_GIVE_UP_MS after settling, then missed; never an outcome', () => {
    const hole = candles.filter((c) => c.openTime !== T + HOUR);
    for (const [now, state] of [
      [window.settledAt, 'late'],
      [window.settledAt + HOUR - 1, 'late'],
      [window.settledAt + HOUR, 'missed'],
    ] as const) {
      const { outcomes, pending } = scorePredictions([prediction('range')], hole, now, options);
      expect(outcomes).toEqual([]);
      expect(pending).toMatchObject([{ state, settledAt: window.settledAt }]);
      expect(pending[0]!.detail).toContain(new Date(T + HOUR).toISOString());
    }
  });

  it('asks for exactly the candles of the windows of the instants it scores', () => {
    expect(candleRangeFor([T], params)).toEqual({ from: window.fromOpenTime, to: window.toOpenTime });
    expect(candleRangeFor([T + HOUR, T], params)).toEqual({
      from: window.fromOpenTime,
      to: settleWindow(T + HOUR, params).toOpenTime,
    });
  });
});
