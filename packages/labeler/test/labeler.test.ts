import { type Candle, closeTimeOf, INTERVAL_MS } from '@regime/candles';
import { calm, synthetic5m } from '@regime/candles/synthetic';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  BAR_MS,
  type BaseSeries,
  classifyRegime,
  DEFAULT_LABELER_PARAMS,
  historyCandles,
  labelStatistics,
  percentileRank,
  type RegimeEvidence,
  regimeEvidence,
  SeriesLabeler,
  windowSpan,
} from '../src/index.ts';

const params = DEFAULT_LABELER_PARAMS;
const span = windowSpan(params);
const t = params.thresholds;

function toSeries(candles: readonly Candle[]): BaseSeries {
  return {
    open: candles.map((c) => c.open),
    high: candles.map((c) => c.high),
    low: candles.map((c) => c.low),
    close: candles.map((c) => c.close),
  };
}

/** Appends 5m candles whose closes follow `logReturns` (tight wicks) to `history`. */
function withPath(history: readonly Candle[], logReturns: readonly number[]): Candle[] {
  const out = [...history];
  for (const r of logReturns) {
    const last = out[out.length - 1]!;
    const open = last.close;
    const close = open * Math.exp(r);
    const openTime = last.openTime + INTERVAL_MS['5m'];
    out.push({
      openTime,
      open,
      close,
      high: Math.max(open, close) * 1.0001,
      low: Math.min(open, close) * 0.9999,
      volume: 1,
      closeTime: closeTimeOf('5m', openTime),
      closed: true,
    });
  }
  return out;
}

/** The rules' regime of the window starting at candle `start` (the evidence labeler 2's costs soften). */
const rulesAt = (series: BaseSeries, start: number) =>
  classifyRegime(regimeEvidence(series, start, params)!, t);

// A calm random walk long enough for the full trailing history, then a constructed 4 h window.
const history = synthetic5m([calm(historyCandles(params) + 5)], { seed: 11 });
const horizonStart = history.length;
const labelOf = (returns: readonly number[]) => rulesAt(toSeries(withPath(history, returns)), horizonStart);
const repeat = (n: number, f: (i: number) => number) => Array.from({ length: n }, (_, i) => f(i));

describe('labeler rules on constructed series', () => {
  it('labels a steady one-way climb a strong trend', () => {
    expect(labelOf(repeat(span, () => 0.0008))).toBe('strong_trend');
  });

  it('labels a violent two-way move a volatility spike', () => {
    expect(labelOf(repeat(span, (i) => (i % 2 === 0 ? 0.012 : -0.011)))).toBe('volatility_spike');
  });

  it('labels a nearly flat stretch a squeeze', () => {
    expect(labelOf(repeat(span, (i) => (i % 2 === 0 ? 0.0001 : -0.0001)))).toBe('squeeze');
  });

  it('labels a directionless stretch with raised volatility choppy high-vol', () => {
    // 15m bars alternate ±0.28 %: above every calm block's volatility but under 2× their median.
    expect(labelOf(repeat(span, (i) => (Math.floor(i / 3) % 2 === 0 ? 0.00093 : -0.00093)))).toBe(
      'choppy_high_vol',
    );
  });

  it('labels a slow drift of moderate efficiency a weak trend', () => {
    const returns = repeat(span, (i) => (Math.floor(i / 3) % 3 === 2 ? -0.0008 : 0.0009));
    expect(labelOf(returns)).toBe('weak_trend');
  });

  it('is scale-free: multiplying every price by a constant changes no label', () => {
    const series = synthetic5m(
      [calm(historyCandles(params) + 200), { candles: 300, drift: 0.0004, vol: 0.002 }, calm(200)],
      { seed: 5 },
    );
    fc.assert(
      fc.property(
        fc.double({ min: 1e-3, max: 1e5, noNaN: true }),
        fc.integer({ min: 0, max: 400 }),
        (k, offset) => {
          const start = historyCandles(params) + offset;
          const scaled = series.map((c) => ({
            ...c,
            open: c.open * k,
            high: c.high * k,
            low: c.low * k,
            close: c.close * k,
          }));
          expect(rulesAt(toSeries(scaled), start)).toBe(rulesAt(toSeries(series), start));
        },
      ),
      { numRuns: 40 },
    );
  });

  it('refuses to label without the full history or horizon', () => {
    const series = toSeries(
      withPath(
        history,
        repeat(span, () => 0.0001),
      ),
    );
    expect(regimeEvidence(series, historyCandles(params) - 1, params)).toBeUndefined();
    expect(regimeEvidence(series, horizonStart + 1, params)).toBeUndefined();
    expect(regimeEvidence(series, horizonStart, params)).toBeDefined();
    expect(regimeEvidence(series, historyCandles(params), params)).toBeDefined();
  });
});

describe('rule order', () => {
  const base: RegimeEvidence = {
    net: 0,
    efficiency: 0.1,
    volatility: 0.01,
    bbWidth: 1,
    rangeLog: 0.01,
    meanTrueRange: 0.003,
    volPercentile: 0.5,
    volRatio: 1,
    bbPercentile: 0.5,
    atr: 0.003,
    netAtr: 0.5,
    rangeAtr: 5,
  };
  const cases: [Partial<RegimeEvidence>, string][] = [
    [{}, 'range'],
    [
      { volRatio: t.spikeVolRatio, volPercentile: t.spikeVolPercentile, efficiency: 0.9, netAtr: 20 },
      'volatility_spike',
    ],
    [{ volRatio: t.spikeVolRatio, volPercentile: t.spikeVolPercentile - 0.01 }, 'choppy_high_vol'],
    [{ efficiency: t.strongEfficiency, netAtr: t.strongNetAtr, volPercentile: 0.99 }, 'strong_trend'],
    [{ efficiency: t.strongEfficiency, netAtr: t.strongNetAtr - 0.01 }, 'weak_trend'],
    [{ efficiency: t.weakEfficiency, netAtr: t.weakNetAtr, volPercentile: 0.99 }, 'weak_trend'],
    [
      { efficiency: t.weakEfficiency - 0.01, netAtr: 10, volPercentile: t.choppyVolPercentile },
      'choppy_high_vol',
    ],
    [{ bbPercentile: t.squeezeBbPercentile, rangeAtr: t.squeezeRangeAtr }, 'squeeze'],
    [{ bbPercentile: t.squeezeBbPercentile, rangeAtr: t.squeezeRangeAtr + 0.01 }, 'range'],
    [{ bbPercentile: 0, rangeAtr: 0, volPercentile: t.choppyVolPercentile }, 'choppy_high_vol'],
  ];
  it.each(cases)('%o → %s', (override, regime) => {
    expect(classifyRegime({ ...base, ...override }, t)).toBe(regime);
  });
});

describe('SeriesLabeler (labeler 2)', () => {
  const seg = params.segmentation;
  // Calm, then a steady climb, then calm again: long enough for history, warm-up and settling.
  const candles = synthetic5m(
    [
      calm(historyCandles(params) + span + 3 * seg.warmupBars),
      { candles: 600, drift: 0.0006, vol: 0.0015 },
      calm(600),
    ],
    { seed: 3 },
  );
  const labeler = new SeriesLabeler(candles, params);
  const end = candles[candles.length - 1]!.openTime + INTERVAL_MS['5m'];
  const firstBar = labeler.barClose[0]!;
  const firstLabelled = firstBar + seg.warmupBars * BAR_MS;
  const lastLabelled = labeler.barClose[labeler.barClose.length - 1]! - seg.settleBars * BAR_MS;

  it('labels from the end of the causal warm-up to the last settled bar, and says why elsewhere', () => {
    expect(firstBar).toBe(Math.ceil(candles[historyCandles(params) + span]!.openTime / BAR_MS) * BAR_MS);
    expect(labeler.labelsAt(firstLabelled)).toMatchObject({ label: expect.any(String) });
    expect(labeler.labelsAt(firstLabelled - INTERVAL_MS['5m'])).toBe('gap');
    expect(labeler.labelsAt(lastLabelled + 2 * INTERVAL_MS['5m'])).toMatchObject({
      label: expect.any(String),
    });
    expect(labeler.labelsAt(lastLabelled + BAR_MS)).toBe('unsettled');
    expect(labeler.labelsAt(end + BAR_MS)).toBe('gap');
  });

  it('persists: regimes last hours, not minutes, and the climb is found as a trend', () => {
    const states = labeler.segment;
    let switches = 0;
    for (let i = 1; i < states.length; i++) if (states[i] !== states[i - 1]) switches++;
    const rulesSwitches = labeler.rules.reduce(
      (n, r, i) => n + (i > 0 && r !== labeler.rules[i - 1] ? 1 : 0),
      0,
    );
    expect(switches).toBeLessThan(rulesSwitches);
    const climbMiddle = candles[historyCandles(params) + span + 3 * seg.warmupBars + 400]!.openTime;
    const l = labeler.labelsAt(climbMiddle);
    expect(l === 'gap' || l === 'unsettled' ? l : l.label).toMatch(/trend/);
  });

  it('gives the causal and rules baselines only from candles up to T', () => {
    const at = firstLabelled + 50 * BAR_MS;
    const before = labeler.labelsAt(at);
    const cut = candles.findIndex((c) => c.openTime >= at);
    const changed = candles.map((c, i) =>
      i >= cut ? { ...c, close: c.close * 1.3, high: c.high * 1.4, open: c.open * 1.3, low: c.low * 1.2 } : c,
    );
    const after = new SeriesLabeler(changed, params).labelsAt(at);
    if (before === 'gap' || before === 'unsettled' || after === 'gap' || after === 'unsettled')
      throw new Error('expected labels');
    expect(after.causal).toBe(before.causal);
    expect(after.rules).toBe(before.rules);
  });

  it('never bridges a missing candle: the bars around a hole start a new run', () => {
    const at = firstLabelled + 100 * BAR_MS;
    expect(labeler.labelsAt(at)).toMatchObject({ label: expect.any(String) });
    for (const missing of [at - 10 * INTERVAL_MS['5m'], at + 10 * INTERVAL_MS['5m']]) {
      const holed = new SeriesLabeler(
        candles.filter((c) => c.openTime !== missing),
        params,
      );
      // Before the hole the label is unsettled, after it the causal state has no warm-up.
      expect(['gap', 'unsettled']).toContain(holed.labelsAt(at));
      // Every bar with evidence ends before the hole or has its window and history after it.
      const reach = (span + historyCandles(params)) * INTERVAL_MS['5m'];
      for (const close of holed.barClose) expect(close <= missing || close - reach > missing).toBe(true);
      expect(holed.barClose.length).toBeLessThan(labeler.barClose.length);
    }
  });

  it('refuses unsorted candles', () => {
    expect(() => new SeriesLabeler([candles[1]!, candles[0]!], params)).toThrow(/sorted/);
  });
});

describe('helpers', () => {
  it('percentileRank counts ties half', () => {
    expect(percentileRank([1, 2, 3, 4], 2.5)).toBe(0.5);
    expect(percentileRank([1, 2, 3, 4], 2)).toBe(0.375);
    expect(percentileRank([1, 2, 3, 4], 0)).toBe(0);
  });

  it('labelStatistics counts classes and mean run lengths', () => {
    const stats = labelStatistics(['range', 'range', 'squeeze', 'range', 'squeeze', 'squeeze', 'squeeze']);
    expect(stats.counts.range).toBe(3);
    expect(stats.counts.squeeze).toBe(4);
    expect(stats.meanRun.range).toBe(1.5);
    expect(stats.meanRun.squeeze).toBe(2);
    expect(stats.meanRun.strong_trend).toBe(0);
  });
});
