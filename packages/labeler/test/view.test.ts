import { type Candle, INTERVAL_MS } from '@regime/candles';
import { calm, synthetic5m } from '@regime/candles/synthetic';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  BAR_MS,
  barCloseAt,
  DEFAULT_LABELER_PARAMS,
  filterStates,
  LabelerViewError,
  labelerViewAsOf,
  REGIME_COUNT,
  SeriesLabeler,
  VIEW_BAR_NAMES,
  VIEW_BARS,
  VIEW_SUMMARY_NAMES,
  VIEW_SWITCH_COSTS,
  ViewCache,
  viewCandles,
} from '../src/index.ts';

const params = DEFAULT_LABELER_PARAMS;
const FIVE_MINUTES = INTERVAL_MS['5m'];
const warmup = params.segmentation.warmupBars;

// Calm, a climb, a violent stretch, calm: every regime's costs move somewhere in the last bars.
const candles = synthetic5m(
  [
    calm(viewCandles(params) + 30),
    { candles: 240, drift: 0.0007, vol: 0.0015 },
    { candles: 120, drift: 0, vol: 0.006 },
    calm(300),
  ],
  { seed: 3 },
);
const end = candles[candles.length - 1]!.openTime + FIVE_MINUTES;
const firstViewable = candles[0]!.openTime + viewCandles(params) * FIVE_MINUTES;
/** Official instants (5-minute boundaries) whose view the candles hold. */
const instants = (() => {
  const out: number[] = [];
  for (let t = Math.ceil(firstViewable / BAR_MS) * BAR_MS; t <= end; t += FIVE_MINUTES) out.push(t);
  return out;
})();

const closedBy = (t: number) => candles.filter((c) => c.openTime + FIVE_MINUTES <= t);

describe('labelerViewAsOf', () => {
  const labeler = new SeriesLabeler(candles, params);

  it('carries exactly the labeler’s per-bar costs and the forward recursion over the warm-up bars', () => {
    const cache = new ViewCache();
    for (const asOf of instants.filter((_, k) => k % 7 === 0)) {
      const view = labelerViewAsOf(candles, asOf, params, cache);
      const i = labeler.barIndex(barCloseAt(asOf));
      expect(i).toBeGreaterThanOrEqual(warmup - 1);
      const width = VIEW_BAR_NAMES.length;
      for (let b = 0; b < VIEW_BARS; b++) {
        const bar = i - (VIEW_BARS - 1) + b;
        expect([...view.bars.subarray(b * width, b * width + REGIME_COUNT)]).toEqual([
          ...labeler.costs.subarray(bar * REGIME_COUNT, (bar + 1) * REGIME_COUNT),
        ]);
      }
      // The causal state at each λ is the filter's last state over the same warmupBars bars.
      const costs = labeler.costs.subarray((i - warmup + 1) * REGIME_COUNT, (i + 1) * REGIME_COUNT);
      VIEW_SWITCH_COSTS.forEach((lambda, l) => {
        const forward = view.summary.subarray(l * REGIME_COUNT, (l + 1) * REGIME_COUNT);
        const argmin = forward.indexOf(Math.min(...forward));
        expect(argmin).toBe(filterStates({ costs, states: REGIME_COUNT }, lambda)[warmup - 1]);
        expect(Math.min(...forward)).toBe(0);
        const held = view.summary[VIEW_SWITCH_COSTS.length * REGIME_COUNT + l]!;
        expect(held).toBeGreaterThanOrEqual(1);
        expect(held).toBeLessThanOrEqual(warmup);
      });
      expect(view.summary).toHaveLength(VIEW_SUMMARY_NAMES.length);
    }
  });

  it('agrees with the labeler’s causal segmentation (started at the data’s first bar) nearly always', () => {
    let same = 0;
    let total = 0;
    const lambda = params.segmentation.switchCost;
    const l = VIEW_SWITCH_COSTS.indexOf(lambda as (typeof VIEW_SWITCH_COSTS)[number]);
    expect(l).toBeGreaterThanOrEqual(0);
    const cache = new ViewCache();
    for (const asOf of instants) {
      const labels = labeler.labelsAt(asOf);
      if (typeof labels === 'string') continue;
      const forward = labelerViewAsOf(candles, asOf, params, cache).summary.subarray(
        l * REGIME_COUNT,
        (l + 1) * REGIME_COUNT,
      );
      total++;
      if (forward.indexOf(0) === labeler.causal[labeler.barIndex(barCloseAt(asOf))]) same++;
    }
    expect(total).toBeGreaterThan(100);
    expect(same / total).toBeGreaterThan(0.98);
  });

  it('is the same with or without a cache, and a cache advancing one bar computes one new bar', () => {
    const cache = new ViewCache();
    let previousSize = 0;
    let previousClose = 0;
    for (const asOf of instants.filter((_, k) => k % 5 === 0)) {
      const cached = labelerViewAsOf(candles, asOf, params, cache);
      expect(cached).toEqual(labelerViewAsOf(candles, asOf, params));
      const newBars = (cached.barClose - previousClose) / BAR_MS;
      if (previousClose > 0) expect(cache.bars.size - previousSize).toBe(newBars);
      previousSize = cache.bars.size;
      previousClose = cached.barClose;
    }
  });

  it('is identical when every candle after T is replaced (no look-ahead)', () => {
    const cache = new ViewCache();
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: instants.length - 1 }),
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.double({ min: 0.2, max: 5, noNaN: true }),
        (k, seed, scale) => {
          const asOf = instants[k]!;
          const known = closedBy(asOf);
          const replaced = synthetic5m([{ candles: 200, drift: 0.001, vol: 0.01 }], {
            start: known[known.length - 1]!.openTime + FIVE_MINUTES,
            price: known[known.length - 1]!.close * scale,
            seed,
          });
          expect(labelerViewAsOf([...known, ...replaced], asOf, params, cache)).toEqual(
            labelerViewAsOf(known, asOf, params),
          );
        },
      ),
      { numRuns: 25 },
    );
  });

  it('is scale-free: every price times a constant gives the same view', () => {
    const asOf = instants[instants.length - 40]!;
    const k = 1234.5;
    const scaled: Candle[] = candles.map((c) => ({
      ...c,
      open: c.open * k,
      high: c.high * k,
      low: c.low * k,
      close: c.close * k,
    }));
    const a = labelerViewAsOf(candles, asOf, params);
    const b = labelerViewAsOf(scaled, asOf, params);
    a.summary.forEach((v, i) => {
      expect(b.summary[i]).toBeCloseTo(v, 8);
    });
    a.bars.forEach((v, i) => {
      expect(b.bars[i]).toBeCloseTo(v, 8);
    });
  });

  it('refuses a span with a missing candle, and a history too short, saying which', () => {
    const asOf = instants[60]!;
    const span = closedBy(asOf);
    const holed = span.filter((_, i) => i !== span.length - 1000);
    expect(() => labelerViewAsOf(holed, asOf, params)).toThrow(LabelerViewError);
    expect(() => labelerViewAsOf(holed, asOf, params)).toThrow(/is missing/);
    const short = span.slice(span.length - viewCandles(params) + 1);
    let error: unknown;
    try {
      labelerViewAsOf(short, asOf, params);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(LabelerViewError);
    expect((error as LabelerViewError).code).toBe('insufficient_history');
    expect(labelerViewAsOf(span.slice(span.length - viewCandles(params)), asOf, params)).toEqual(
      labelerViewAsOf(candles, asOf, params),
    );
    // T's own bar must be there: the newest 5m candle of the bar missing is a gap.
    expect(() => labelerViewAsOf(span.slice(0, -1), barCloseAt(asOf), params)).toThrow(/missing/);
  });
});
