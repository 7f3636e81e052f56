import { describe, expect, it } from 'vitest';
import { FEATURE_NAMES, FEATURES, WINDOW_INTERVALS, warmupCandles } from '../src/index.ts';

describe('feature names', () => {
  it('lists 36 columns, 15m first, as feature_interval', () => {
    expect(FEATURE_NAMES).toHaveLength(36);
    expect(FEATURE_NAMES[0]).toBe('log_ret_1_15m');
    expect(FEATURE_NAMES[12]).toBe('log_ret_1_5m');
    expect(FEATURE_NAMES[35]).toBe('wick_ratio_1h');
    for (const [k, interval] of WINDOW_INTERVALS.entries()) {
      for (const [j, feature] of FEATURES.entries())
        expect(FEATURE_NAMES[k * 12 + j]).toBe(`${feature}_${interval}`);
    }
  });

  it('needs more warm-up for more steps and refuses a bad step count', () => {
    const w64 = warmupCandles();
    const w1 = warmupCandles(1);
    expect(w64['15m'] - w1['15m']).toBe(63);
    expect(w64['5m'] - w1['5m']).toBe(189);
    expect(w64['1h'] - w1['1h']).toBe(16);
    expect(() => warmupCandles(0)).toThrow(RangeError);
  });
});
