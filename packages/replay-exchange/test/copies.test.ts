import { hasSharedKlines, sharedKlinesDir } from '@regime/candles/files';
import { describe, expect, it } from 'vitest';
import { CandleStore, copyNames } from '../src/candle-store.ts';
import { startReplayExchange } from '../src/index.ts';
import { getJson } from './helpers.ts';

const shared = hasSharedKlines();
if (!shared) console.warn('[exchange-replay] ../shared/data/klines is missing: copies tests skipped');

describe('copyNames', () => {
  it('names valid symbols with the quote asset at the end, mapped to their source', () => {
    const names = copyNames(['BTCUSDT', 'ETHUSDT'], 2);
    expect([...names]).toEqual([
      ['C001BTCUSDT', 'BTCUSDT'],
      ['C001ETHUSDT', 'ETHUSDT'],
      ['C002BTCUSDT', 'BTCUSDT'],
      ['C002ETHUSDT', 'ETHUSDT'],
    ]);
    expect(copyNames(['BTCUSDT'], 1000).has('C1000BTCUSDT')).toBe(true);
    expect(() => copyNames(['ABCDEFGHIJKLMNOPQRST'], 1)).toThrow(/not a valid symbol/);
  });
});

describe.skipIf(!shared)('replay exchange copies of a symbol', () => {
  it('serves each copy with the source candles, holding each month once', () => {
    const copies = copyNames(['BTCUSDT'], 399);
    const store = new CandleStore(sharedKlinesDir(), ['BTCUSDT', ...copies.keys()], copies);
    const from = Date.UTC(2024, 2, 4);
    const to = from + 86_400_000;
    const source = store.range('BTCUSDT', '5m', from, to);
    expect(source.length).toBe(288);
    for (const name of copies.keys()) {
      const copy = store.range(name, '5m', from, to);
      // The same objects, not copies of them: memory does not grow with the number of copies.
      for (let i = 0; i < copy.length; i++) expect(copy[i]).toBe(source[i]);
    }
    expect(store.loadedMonths).toBe(1);
    expect(store.range('C400BTCUSDT', '5m', from, to)).toEqual([]);
  });

  it('lists the copies in exchangeInfo and answers their klines like the source', async () => {
    const from = Date.UTC(2024, 2, 4, 12);
    const ex = await startReplayExchange({
      dataDir: sharedKlinesDir(),
      symbols: ['BTCUSDT'],
      copies: 3,
      from,
      // The clock stands still at `to`: both answers end with the same in-progress candle.
      to: from + 1,
      speed: 1,
    });
    try {
      expect(ex.symbols).toEqual(['BTCUSDT', 'C001BTCUSDT', 'C002BTCUSDT', 'C003BTCUSDT']);
      const info = (await getJson(`${ex.restUrl}/api/v3/exchangeInfo`)).body as {
        symbols: { symbol: string }[];
      };
      expect(info.symbols.map((s) => s.symbol)).toEqual(ex.symbols);
      await new Promise((resolve) => setTimeout(resolve, 100));
      const klines = async (symbol: string) =>
        (await getJson(`${ex.restUrl}/api/v3/klines?symbol=${symbol}&interval=5m&limit=10`)).body;
      expect(await klines('C002BTCUSDT')).toEqual(await klines('BTCUSDT'));
      expect((await getJson(`${ex.restUrl}/api/v3/klines?symbol=C004BTCUSDT&interval=5m`)).status).toBe(400);
    } finally {
      await ex.close();
    }
  });
});
