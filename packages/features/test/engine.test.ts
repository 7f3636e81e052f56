import { describe, expect, it } from 'vitest';
import { FEATURE_COUNT, FeatureError, featureSeries, IncrementalFeatures } from '../src/index.ts';
import { syntheticHistory } from './helpers.ts';

const fives = syntheticHistory(9, Date.UTC(2024, 0, 1), 600)['5m'];

function codeOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (error instanceof FeatureError) return error.code;
    throw error;
  }
  return 'none';
}

describe('IncrementalFeatures', () => {
  it('streams the same numbers as featureSeries, NaN only while an indicator has not started', () => {
    const engine = new IncrementalFeatures('5m');
    const batch = featureSeries(fives, '5m').values;
    fives.forEach((c, i) => {
      expect(Array.from(engine.update(c))).toEqual(
        Array.from(batch.subarray(i * FEATURE_COUNT, (i + 1) * FEATURE_COUNT)),
      );
    });
    // From candle 27 (ADX's first value) on, all 12 are numbers.
    for (let i = 27 * FEATURE_COUNT; i < batch.length; i++) expect(Number.isFinite(batch[i]!)).toBe(true);
    expect(engine.committed).toBe(fives.length);
  });

  it('refuses a gap, an older candle and an invalid candle, and commits nothing then', () => {
    const engine = new IncrementalFeatures('5m');
    for (const c of fives.slice(0, 100)) engine.update(c);
    expect(codeOf(() => engine.update(fives[101]!))).toBe('gap');
    expect(codeOf(() => engine.peek(fives[101]!))).toBe('gap');
    expect(codeOf(() => engine.update(fives[50]!))).toBe('unsorted');
    expect(codeOf(() => engine.update({ ...fives[100]!, high: fives[100]!.low / 2 }))).toBe('invalid_candle');
    expect(engine.committed).toBe(100);
    const reference = new IncrementalFeatures('5m');
    for (const c of fives.slice(0, 100)) reference.update(c);
    expect(engine.update(fives[100]!)).toEqual(reference.update(fives[100]!));
    engine.reset();
    expect(engine.committed).toBe(0);
    expect(codeOf(() => engine.update(fives[300]!))).toBe('none');
  });
});
