import { closeTimeOf, INTERVAL_MS, type Interval, type Kline } from '@regime/candles';
import { describe, expect, it } from 'vitest';
import { CandleBook } from '../src/book.ts';

const T0 = Date.UTC(2024, 1, 1);

function kline(
  slot: number,
  closed: boolean,
  close = 100,
  interval: Interval = '5m',
  symbol = 'BTCUSDT',
): Kline {
  const openTime = T0 + slot * INTERVAL_MS[interval];
  return {
    symbol,
    interval,
    openTime,
    open: 100,
    high: 120,
    low: 80,
    close,
    volume: 1,
    closeTime: closeTimeOf(interval, openTime),
    closed,
  };
}

describe('CandleBook', () => {
  it('keeps only the newest in-progress state per stream', () => {
    const book = new CandleBook();
    expect(book.live(kline(0, false, 101))).toBe('kept');
    expect(book.live(kline(0, false, 102))).toBe('kept');
    expect(book.live(kline(0, false, 103, '1h'))).toBe('kept');
    expect(book.live(kline(0, false, 104, '5m', 'ETHUSDT'))).toBe('kept');
    expect(
      book
        .takeLive()
        .map((k) => `${k.symbol} ${k.interval} ${k.close}`)
        .sort(),
    ).toEqual(['BTCUSDT 1h 103', 'BTCUSDT 5m 102', 'ETHUSDT 5m 104']);
    expect(book.takeLive()).toEqual([]);
  });

  it('never hands out an in-progress state of a candle that has closed', () => {
    const book = new CandleBook();
    book.live(kline(3, false, 101));
    expect(book.closed(kline(3, true, 102))).toBe('write');
    expect(book.takeLive()).toEqual([]);
    // A late in-progress update of the closed candle, or of an older one, is stale.
    expect(book.live(kline(3, false, 103))).toBe('stale');
    expect(book.live(kline(2, false, 103))).toBe('stale');
    expect(book.takeLive()).toEqual([]);
  });

  it('does not let an older in-progress state replace a newer one', () => {
    const book = new CandleBook();
    book.live(kline(5, false, 105));
    expect(book.live(kline(4, false, 104))).toBe('stale');
    expect(book.takeLive().map((k) => k.close)).toEqual([105]);
  });

  it('writes each closed candle once, and late older closes too', () => {
    const book = new CandleBook();
    expect(book.closed(kline(1, true))).toBe('write');
    expect(book.closed(kline(1, true))).toBe('duplicate');
    expect(book.closed(kline(2, true))).toBe('write');
    expect(book.closed(kline(0, true))).toBe('write');
    expect(book.lastClosed({ symbol: 'BTCUSDT', interval: '5m' })).toBe(T0 + 2 * INTERVAL_MS['5m']);
    expect(book.closedHeads()).toEqual([
      { symbol: 'BTCUSDT', interval: '5m', openTime: T0 + 2 * INTERVAL_MS['5m'] },
    ]);
  });

  it('puts back in-progress states after a failed write unless newer ones arrived or the candle closed', () => {
    const book = new CandleBook();
    book.live(kline(1, false, 101));
    book.live(kline(1, false, 201, '1h'));
    book.live(kline(1, false, 301, '5m', 'ETHUSDT'));
    const taken = book.takeLive();
    book.live(kline(1, false, 102)); // newer state of BTC 5m arrived while writing
    book.closed(kline(1, true, 202, '1h')); // BTC 1h closed meanwhile
    book.restoreLive(taken);
    expect(
      book
        .takeLive()
        .map((k) => k.close)
        .sort(),
    ).toEqual([102, 301]);
  });

  it('treats a candle stored before start-up as closed', () => {
    const book = new CandleBook();
    book.stored({ symbol: 'BTCUSDT', interval: '5m' }, T0 + 4 * INTERVAL_MS['5m']);
    expect(book.live(kline(4, false))).toBe('stale');
    expect(book.live(kline(5, false))).toBe('kept');
    expect(book.closed(kline(4, true))).toBe('duplicate');
  });
});
