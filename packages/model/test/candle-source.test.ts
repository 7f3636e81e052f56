import { calm, synthetic5m } from '@regime/candles/synthetic';
import { aggregateSeries } from '@regime/features';
import { describe, expect, it } from 'vitest';
import { withEarlierFrom5m } from '../src/candle-source.ts';

describe('withEarlierFrom5m', () => {
  const m5 = synthetic5m([calm(24 * 12)]); // one day of 5m candles
  const all15m = aggregateSeries(m5, '15m');
  const own = all15m.slice(40).map((c) => ({ ...c, quoteVolume: 1 })); // marks the file's own candles

  it('fills the 15m candles before the first file candle from 5m and keeps the file candles', () => {
    const merged = withEarlierFrom5m(own, m5, '15m');
    expect(merged.map((c) => c.openTime)).toEqual(all15m.map((c) => c.openTime));
    expect(merged.slice(0, 40)).toEqual(all15m.slice(0, 40));
    expect(merged.slice(40).map((c) => c.quoteVolume)).toEqual(own.map(() => 1));
  });

  it('leaves a period with a missing 5m candle out, so it stays a gap', () => {
    const holed = m5.filter((_, i) => i !== 7); // inside the third 15m period
    const merged = withEarlierFrom5m(own, holed, '15m');
    expect(merged).toHaveLength(all15m.length - 1);
    expect(merged.some((c) => c.openTime === all15m[2]!.openTime)).toBe(false);
  });

  it('changes nothing when the files already start with the 5m candles', () => {
    expect(withEarlierFrom5m(all15m, m5, '15m')).toBe(all15m);
    expect(withEarlierFrom5m(own.slice(0, 0), [], '15m')).toEqual([]);
  });

  it('aggregates everything when the interval has no file at all', () => {
    expect(withEarlierFrom5m([], m5, '1h')).toEqual(aggregateSeries(m5, '1h'));
  });
});
