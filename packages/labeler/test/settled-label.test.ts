import { INTERVAL_MS } from '@regime/candles';
import { calm, synthetic5m } from '@regime/candles/synthetic';
import { describe, expect, it } from 'vitest';
import {
  BAR_MS,
  barCloseAt,
  DEFAULT_LABELER_PARAMS,
  historyCandles,
  SeriesLabeler,
  settledLabel,
  settleWindow,
  windowSpan,
} from '../src/index.ts';

const params = DEFAULT_LABELER_PARAMS;
const seg = params.segmentation;
const FIVE_MINUTES = INTERVAL_MS['5m'];
const SIX_HOURS = 6 * 3_600_000;

// Calm, a steady climb, calm again: long enough for every window below to be complete.
const candles = synthetic5m(
  [
    calm(historyCandles(params) + windowSpan(params) + 3 * seg.warmupBars * 3),
    { candles: 600, drift: 0.0006, vol: 0.0015 },
    calm(900),
  ],
  { seed: 11 },
);
const first = candles[0]!.openTime;
const end = candles[candles.length - 1]!.openTime + FIVE_MINUTES;
/** An official as-of instant (5-minute boundary, not on a 15-minute one) in the middle of the climb. */
const climbAsOf = candles[historyCandles(params) + windowSpan(params) + 9 * seg.warmupBars + 301]!.openTime;

const upTo = (closedBy: number) => candles.filter((c) => c.openTime + FIVE_MINUTES <= closedBy);

describe('settleWindow', () => {
  it('spans history + window + warm-up before T’s bar and settleBars after it, and settles within 6 h of T', () => {
    for (const asOf of [climbAsOf, climbAsOf + FIVE_MINUTES, barCloseAt(climbAsOf)]) {
      const w = settleWindow(asOf, params);
      const close = barCloseAt(asOf);
      expect(w.toOpenTime).toBe(close + seg.settleBars * BAR_MS);
      expect(w.settledAt).toBe(w.toOpenTime);
      expect(w.settledAt - asOf).toBeLessThanOrEqual(SIX_HOURS);
      expect(w.settledAt - asOf).toBeGreaterThan(SIX_HOURS - BAR_MS);
      expect(w.candles).toBe(
        historyCandles(params) + windowSpan(params) + 3 * seg.warmupBars + 3 * seg.settleBars,
      );
      expect(w.fromOpenTime % FIVE_MINUTES).toBe(0);
    }
    // Instants of one bar share one window.
    expect(settleWindow(barCloseAt(climbAsOf) + 2 * FIVE_MINUTES, params)).toEqual(
      settleWindow(barCloseAt(climbAsOf), params),
    );
  });
});

describe('settledLabel', () => {
  const window = settleWindow(climbAsOf, params);

  it('is computable once T + settle has closed, and not one candle earlier', () => {
    expect(window.fromOpenTime).toBeGreaterThanOrEqual(first);
    expect(window.toOpenTime).toBeLessThan(end);
    const settled = settledLabel(upTo(window.settledAt), climbAsOf, params);
    expect(settled).toMatchObject({ kind: 'settled', settledAt: window.settledAt });
    const early = settledLabel(upTo(window.settledAt - 1), climbAsOf, params);
    expect(early).toMatchObject({
      kind: 'missing_candles',
      missing: 1,
      firstMissing: window.toOpenTime - FIVE_MINUTES,
    });
  });

  it('finds the climb, as the labeler over all the data does', () => {
    const settled = settledLabel(candles, climbAsOf, params);
    const full = new SeriesLabeler(candles, params).labelsAt(climbAsOf);
    if (settled.kind !== 'settled' || typeof full === 'string') throw new Error('expected labels');
    expect(settled.regime).toMatch(/trend/);
    expect(settled.regime).toBe(full.label);
  });

  it('depends on T only: more data on either side, or different prices outside the window, change nothing', () => {
    const reference = settledLabel(upTo(window.settledAt), climbAsOf, params);
    expect(settledLabel(candles, climbAsOf, params)).toEqual(reference);
    const disturbed = candles.map((c) =>
      c.openTime < window.fromOpenTime || c.openTime >= window.toOpenTime
        ? { ...c, open: c.open * 3, high: c.high * 4, low: c.low * 2, close: c.close * 3 }
        : c,
    );
    expect(settledLabel(disturbed, climbAsOf, params)).toEqual(reference);
  });

  it('agrees with the labeler over all the data at nearly every instant it can label', () => {
    const full = new SeriesLabeler(candles, params);
    let compared = 0;
    let same = 0;
    // One instant per bar (the instants of a bar share its label), across the climb and both calms.
    for (let asOf = climbAsOf - 300 * FIVE_MINUTES; asOf < climbAsOf + 300 * FIVE_MINUTES; asOf += BAR_MS) {
      const settled = settledLabel(candles, asOf, params);
      const labels = full.labelsAt(asOf);
      if (settled.kind !== 'settled' || typeof labels === 'string') continue;
      compared++;
      if (settled.regime === labels.label) same++;
    }
    expect(compared).toBeGreaterThan(190);
    expect(same / compared).toBeGreaterThan(0.95);
  });

  it('gives no regime, but the reason, when a candle of the window is missing', () => {
    const hole = climbAsOf - 100 * FIVE_MINUTES;
    const holed = candles.filter((c) => c.openTime !== hole && c.openTime !== hole + FIVE_MINUTES);
    const result = settledLabel(holed, climbAsOf, params);
    expect(result).toMatchObject({ kind: 'missing_candles', missing: 2, firstMissing: hole });
    if (result.kind === 'missing_candles') {
      expect(result.detail).toContain(`2 of the ${window.candles} 5m candles`);
      expect(result.detail).toContain(new Date(hole).toISOString());
    }
    // A hole just outside the window does not matter.
    const outside = candles.filter((c) => c.openTime !== window.fromOpenTime - FIVE_MINUTES);
    expect(settledLabel(outside, climbAsOf, params)).toEqual(settledLabel(candles, climbAsOf, params));
    expect(settledLabel([], climbAsOf, params)).toMatchObject({
      kind: 'missing_candles',
      missing: window.candles,
    });
  });

  it('refuses unsorted or duplicated candles and off-grid instants', () => {
    const inside = candles.findIndex((c) => c.openTime === climbAsOf);
    const swapped = [...candles];
    [swapped[inside], swapped[inside + 1]] = [swapped[inside + 1]!, swapped[inside]!];
    expect(() => settledLabel(swapped, climbAsOf, params)).toThrow(/sorted and unique/);
    expect(() => settleWindow(climbAsOf + 0.5, params)).toThrow(/integer/);
  });
});
