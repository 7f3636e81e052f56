import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { Interval } from '@regime/candles';
import { hasSharedKlines, sharedKlinesDir } from '@regime/candles/files';
import { describe, expect, it } from 'vitest';
import { parseKlineMessage, parseRestKline } from '../src/index.ts';

/** A real-shaped combined kline message; `patch` edits the kline fields. */
function message(patch: Record<string, unknown> = {}, top: Record<string, unknown> = {}): string {
  return JSON.stringify({
    stream: 'btcusdt@kline_5m',
    data: {
      e: 'kline',
      E: 1704067500123,
      s: 'BTCUSDT',
      k: {
        t: 1704067200000,
        T: 1704067499999,
        s: 'BTCUSDT',
        i: '5m',
        f: 3346080000,
        L: 3346085000,
        o: '42283.58000000',
        c: '42397.23000000',
        h: '42397.23000000',
        l: '42261.02000000',
        v: '155.25731000',
        n: 5001,
        x: true,
        q: '6573000.12000000',
        V: '80.10000000',
        Q: '3390000.50000000',
        B: '0',
        ...patch,
      },
      ...top,
    },
  });
}

describe('parseKlineMessage', () => {
  it('reads a combined kline message into a validated Kline', () => {
    const parsed = parseKlineMessage(message());
    expect(parsed).toEqual({
      ok: true,
      stream: 'btcusdt@kline_5m',
      eventTime: 1704067500123,
      kline: {
        symbol: 'BTCUSDT',
        interval: '5m',
        openTime: 1704067200000,
        closeTime: 1704067499999,
        open: 42283.58,
        high: 42397.23,
        low: 42261.02,
        close: 42397.23,
        volume: 155.25731,
        closed: true,
        quoteVolume: 6573000.12,
        trades: 5001,
        takerBuyBaseVolume: 80.1,
        takerBuyQuoteVolume: 3390000.5,
      },
    });
  });

  it('reads raw (non-combined) messages and Buffers too', () => {
    const raw = JSON.stringify(JSON.parse(message({ x: false })).data);
    const parsed = parseKlineMessage(Buffer.from(raw));
    expect(parsed.ok && parsed.kline.closed).toBe(false);
  });

  it('treats 0 trades with volume > 0 as "trade details not available"', () => {
    const parsed = parseKlineMessage(message({ n: 0, q: '0.00000000', V: '0.00000000', Q: '0.00000000' }));
    expect(parsed.ok).toBe(true);
    if (parsed.ok) expect(parsed.kline.trades).toBeUndefined();
    const empty = parseKlineMessage(
      message({ n: 0, v: '0.00000000', q: '0.00000000', V: '0.00000000', Q: '0.00000000' }),
    );
    expect(empty.ok && empty.kline.trades).toBe(0);
  });

  it.each([
    ['malformed JSON', message().slice(0, 80), 'malformed_json'],
    ['not a kline event', JSON.stringify({ stream: 'x', data: { e: 'trade' } }), 'bad_schema'],
    ['NaN price', message({ c: 'NaN' }), 'bad_schema'],
    ['"abc" price', message({ o: 'abc' }), 'bad_schema'],
    ['price as a JSON number', message({ h: 42397.23 }), 'bad_schema'],
    ['exponent notation', message({ v: '1e3' }), 'bad_schema'],
    ['missing field', message({ l: undefined }), 'bad_schema'],
    ['non-integer open time', message({ t: 1704067200000.5 }), 'bad_schema'],
    ['high < low', message({ h: '42000.00000000' }), 'invalid_candle'],
    ['negative volume', message({ v: '-1.00000000' }), 'invalid_candle'],
    ['close time not open + interval - 1', message({ T: 1704067500000 }), 'invalid_candle'],
    ['misaligned open time', message({ t: 1704067200001, T: 1704067500000 }), 'invalid_candle'],
    ['zero price', message({ l: '0.00000000' }), 'invalid_candle'],
    ['unknown interval', message({ i: '7m' }), 'unknown_interval'],
    [
      'bad symbol characters',
      JSON.stringify(JSON.parse(message({ s: "BTC'USDT" }, { s: "BTC'USDT" }))),
      'invalid_symbol',
    ],
    ['lower-case symbol', message({ s: 'btcusdt' }, { s: 'btcusdt' }), 'invalid_symbol'],
    ['event symbol differs from kline symbol', message({}, { s: 'ETHUSDT' }), 'stream_mismatch'],
    ['stream name differs from payload', message({ i: '15m', T: 1704068099999 }), 'stream_mismatch'],
  ])('rejects %s', (_what, raw, code) => {
    const parsed = parseKlineMessage(raw);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) {
      expect(parsed.code).toBe(code);
      expect(parsed.reason.startsWith(`${code}: `)).toBe(true);
    }
  });
});

const row = [
  1704067200000,
  '42283.58000000',
  '42554.57000000',
  '42261.02000000',
  '42475.23000000',
  '1271.68108000',
  1704070799999,
  '53957248.97378900',
  47134,
  '682.57581000',
  '28957416.81964500',
  '0',
];

describe('parseRestKline', () => {
  it('reads the 12 Binance values', () => {
    expect(parseRestKline(row, '1h')).toEqual({
      openTime: 1704067200000,
      open: 42283.58,
      high: 42554.57,
      low: 42261.02,
      close: 42475.23,
      volume: 1271.68108,
      closeTime: 1704070799999,
      closed: true,
      quoteVolume: 53957248.973789,
      trades: 47134,
      takerBuyBaseVolume: 682.57581,
      takerBuyQuoteVolume: 28957416.819645,
    });
  });

  it('decides closed against the server time', () => {
    expect(parseRestKline(row, '1h', 1704070799999).closed).toBe(false);
    expect(parseRestKline(row, '1h', 1704070800000).closed).toBe(true);
  });

  it.each([
    ['a short row', row.slice(0, 6), /array of 12/],
    ['a NaN price', row.map((v, i) => (i === 4 ? 'NaN' : v)), /field close must be a decimal string/],
    ['a number price', row.map((v, i) => (i === 2 ? 42554.57 : v)), /field high/],
    ['high < low', row.map((v, i) => (i === 2 ? '42000.00000000' : v)), /high .* < low/],
    ['negative volume', row.map((v, i) => (i === 5 ? '-3.00000000' : v)), /volume -3 < 0/],
    ['the wrong interval', row, /close time .* is not open time \+ 5m/],
  ])('throws a clear error on %s', (what, bad, message) => {
    expect(() => parseRestKline(bad, what === 'the wrong interval' ? '5m' : '1h')).toThrow(message);
  });
});

describe.skipIf(!hasSharedKlines())('parseRestKline on real Binance response bodies', () => {
  const dir = join(sharedKlinesDir(), '_fixtures/rest-api-v3-klines');
  // The describe body runs at collection even when skipped: list the folder only when it exists.
  const files = hasSharedKlines() ? readdirSync(dir).filter((f) => f.endsWith('.json.gz')) : [];
  it.each(files)('parses every row of %s', (file) => {
    const interval = /_(\d+[mh])_/.exec(file)![1] as Interval;
    const rows = JSON.parse(gunzipSync(readFileSync(join(dir, file))).toString()) as unknown[][];
    const candles = rows.map((r) => parseRestKline(r, interval));
    expect(candles).toHaveLength(rows.length);
    for (const [i, c] of candles.entries()) {
      expect(c.close).toBe(Number(rows[i]![4]));
      expect(c.trades).toBe(rows[i]![8]);
      expect(c.takerBuyQuoteVolume).toBe(Number(rows[i]![10]));
    }
  });
});
