import { type BackfillSummary, eventsOf, type SeriesSummary } from '@regime/kline-backfill';
import { describe, expect, it } from 'vitest';
import { formatSummary } from '../src/summary.ts';

const DAY = 86_400_000;
const T0 = Date.UTC(2023, 11, 30);

const withGap: SeriesSummary = {
  symbol: 'BTCUSDT',
  interval: '5m',
  range: { from: T0, to: T0 + 3 * DAY },
  alreadyStored: 10,
  fetched: [{ from: T0, to: T0 + 3 * DAY }],
  written: 566,
  gaps: [{ from: T0 + DAY, to: T0 + 2 * DAY, count: 288 }],
  rejected: [{ openTime: T0 + 300_000, problem: 'high_below_low', detail: 'high 1 < low 2' }],
  duplicates: 0,
};
const failed: SeriesSummary = {
  symbol: 'NOPEUSDT',
  interval: '1h',
  range: { from: T0, to: T0 + DAY },
  alreadyStored: 0,
  fetched: [],
  written: 0,
  gaps: [],
  rejected: [],
  duplicates: 0,
  error: 'unknown symbol NOPEUSDT',
};

describe('eventsOf', () => {
  it('writes one gap event per exchange gap and one event for all rejected candles', () => {
    const events = eventsOf(withGap, 'backfill', () => 42);
    expect(events).toEqual([
      {
        ts: 42,
        service: 'backfill',
        kind: 'gap',
        symbol: 'BTCUSDT',
        interval: '5m',
        count: 288,
        detail: 'exchange has no candles from 2023-12-31T00:00:00Z to 2024-01-01T00:00:00Z (exclusive)',
      },
      {
        ts: 42,
        service: 'backfill',
        kind: 'rejected',
        symbol: 'BTCUSDT',
        interval: '5m',
        count: 1,
        detail: expect.stringMatching(/first at 2023-12-30T00:05:00Z: high_below_low/),
      },
    ]);
    expect(eventsOf(failed, 'collector', () => 1)).toEqual([]);
  });
});

describe('formatSummary', () => {
  it('shows rows, gaps, rejections and failures per series, and says FAILED when one failed', () => {
    const summary: BackfillSummary = { from: T0, to: T0 + 3 * DAY, series: [withGap, failed], ok: false };
    const text = formatSummary(summary);
    expect(text).toContain(
      'BTCUSDT 5m: 566 rows written, 10 already stored, 1 exchange gap(s), 1 invalid candle(s) rejected',
    );
    expect(text).toContain('gap: 2023-12-31T00:00:00Z → 2024-01-01T00:00:00Z (288 candles missing)');
    expect(text).toContain('NOPEUSDT 1h: FAILED: unknown symbol NOPEUSDT');
    expect(text.split('\n').at(-1)).toBe('FAILED: 1 of 2 series failed (566 rows written)');
  });
});
