import { readdirSync } from 'node:fs';
import { type Candle, candleOpenAt, INTERVAL_MS } from '@regime/candles';
import { hasSharedKlines, readKlineFiles, sharedKlinesDir } from '@regime/candles/files';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ReplayExchange, startReplayExchange } from '../src/index.ts';
import { getJson, ohlcv, rowToCandle } from './helpers.ts';

const shared = hasSharedKlines();
if (!shared) console.warn('[exchange-replay] ../shared/data/klines is missing: replay REST tests skipped');

const FROM = Date.UTC(2024, 1, 1); // virtual now: 2024-02-01, real time

/** The symbol folders of ../shared, listed here independently of the exchange's own listing. */
function sharedSymbolFolders(): string[] {
  return readdirSync(sharedKlinesDir(), { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && /^[A-Z0-9]+$/.test(entry.name))
    .map((entry) => entry.name)
    .sort();
}

/** A well-formed symbol that no data directory holds (Binance lists no pair of this name). */
const UNLISTED = 'NOSUCHPAIRUSDT';

/** Pages through /api/v3/klines by startTime, 1000 at a time, like a backfill does. */
async function pageAll(ex: ReplayExchange, symbol: string, interval: string, from: number, to: number) {
  const rows: unknown[][] = [];
  let cursor = from;
  for (;;) {
    const { status, body } = await getJson(
      `${ex.restUrl}/api/v3/klines?symbol=${symbol}&interval=${interval}&startTime=${cursor}&endTime=${to - 1}&limit=1000`,
    );
    expect(status).toBe(200);
    const page = body as unknown[][];
    rows.push(...page);
    if (page.length < 1000) return rows;
    cursor = (page.at(-1)![0] as number) + 1;
  }
}

describe.skipIf(!shared)('replay REST /api/v3/klines', () => {
  let ex: ReplayExchange;
  beforeAll(async () => {
    ex = await startReplayExchange({ dataDir: sharedKlinesDir(), from: FROM, speed: 1 });
  });
  afterAll(() => ex?.close());

  it('serves a month of 5m candles equal to the source, 12 Binance fields, numbers as 8-decimal strings', async () => {
    const from = Date.UTC(2024, 0, 1);
    const to = Date.UTC(2024, 1, 1);
    const rows = await pageAll(ex, 'BTCUSDT', '5m', from, to);
    const source = readKlineFiles(sharedKlinesDir(), 'BTCUSDT', '5m', { from, to });
    expect(rows).toHaveLength(source.length);
    expect(rows[0]).toHaveLength(12);
    expect(rows[0]![4]).toBe('42397.23000000');
    expect(rows.map((r) => ohlcv(rowToCandle(r)))).toEqual(source.map(ohlcv));
    // no trade details in the 5m source: 0 trades with volume > 0 says "not available"
    expect(rows.every((r) => r[8] === 0 && r[7] === '0.00000000')).toBe(true);
  });

  it('serves 15m and 1h with the trade details of their files', async () => {
    for (const interval of ['15m', '1h'] as const) {
      const from = Date.UTC(2024, 0, 1);
      const to = Date.UTC(2024, 0, 15);
      const rows = await pageAll(ex, 'ETHUSDT', interval, from, to);
      const source = readKlineFiles(sharedKlinesDir(), 'ETHUSDT', interval, { from, to });
      expect(source.length).toBeGreaterThan(300);
      expect(rows.map(rowToCandle)).toEqual(source);
    }
  });

  it('derives 15m from 5m where the 15m files are missing (2022) or have holes (2023-01-01)', async () => {
    for (const [from, to] of [
      [Date.UTC(2022, 5, 1), Date.UTC(2022, 5, 3)],
      [Date.UTC(2023, 0, 1), Date.UTC(2023, 0, 2)],
    ] as const) {
      const fiveMinute = readKlineFiles(sharedKlinesDir(), 'BTCUSDT', '5m', { from, to });
      const expected: number[][] = [];
      for (let i = 0; i < fiveMinute.length; i += 3) {
        const parts = fiveMinute.slice(i, i + 3);
        expect(parts[0]!.openTime % INTERVAL_MS['15m']).toBe(0);
        const volume = parts.reduce((s, c) => s + c.volume, 0);
        expected.push([
          parts[0]!.openTime,
          parts[0]!.open,
          Math.max(...parts.map((c) => c.high)),
          Math.min(...parts.map((c) => c.low)),
          parts[2]!.close,
          Number(volume.toFixed(8)),
          parts[0]!.openTime + INTERVAL_MS['15m'] - 1,
        ]);
      }
      const rows = await pageAll(ex, 'BTCUSDT', '15m', from, to);
      expect(rows.map((r) => ohlcv(rowToCandle(r)))).toEqual(expected);
    }
  });

  it('ends with the candle in progress at the virtual now, partial but consistent with the final one', async () => {
    const { body: time } = await getJson(`${ex.restUrl}/api/v3/time`);
    const { serverTime } = time as { serverTime: number };
    expect(Math.abs(serverTime - FROM)).toBeLessThan(60_000);
    for (const interval of ['5m', '15m', '1h'] as const) {
      const { body } = await getJson(
        `${ex.restUrl}/api/v3/klines?symbol=BTCUSDT&interval=${interval}&limit=3`,
      );
      const rows = (body as unknown[][]).map(rowToCandle);
      const last = rows.at(-1)!;
      expect(last.openTime).toBe(candleOpenAt(interval, serverTime));
      expect(last.closeTime).toBeGreaterThanOrEqual(serverTime);
      const [final] = readKlineFiles(sharedKlinesDir(), 'BTCUSDT', interval, {
        from: last.openTime,
        to: last.openTime + 1,
      }) as [Candle];
      expect(last.open).toBe(final.open);
      expect(last.high).toBeLessThanOrEqual(final.high);
      expect(last.low).toBeGreaterThanOrEqual(final.low);
      expect(last.volume).toBeLessThanOrEqual(final.volume);
      expect(last.high).toBeGreaterThanOrEqual(Math.max(last.open, last.close));
      expect(last.low).toBeLessThanOrEqual(Math.min(last.open, last.close));
      // nothing from the future
      expect(rows.every((c) => c.openTime <= serverTime)).toBe(true);
    }
    const { body: future } = await getJson(
      `${ex.restUrl}/api/v3/klines?symbol=BTCUSDT&interval=5m&startTime=${FROM + 86_400_000}`,
    );
    expect(future).toEqual([]);
  });

  it('answers bad requests with Binance error codes', async () => {
    const base = `${ex.restUrl}/api/v3/klines`;
    expect(await getJson(`${base}?symbol=${UNLISTED}&interval=5m`)).toMatchObject({
      status: 400,
      body: { code: -1121, msg: 'Invalid symbol.' },
    });
    expect((await getJson(`${base}?symbol=BTCUSDT&interval=7m`)).body).toMatchObject({ code: -1120 });
    expect((await getJson(`${base}?symbol=btcusdt&interval=5m`)).body).toMatchObject({ code: -1100 });
    expect((await getJson(`${base}?interval=5m`)).body).toMatchObject({ code: -1102 });
    expect((await getJson(`${base}?symbol=BTCUSDT&interval=5m&limit=1001`)).body).toMatchObject({
      code: -1130,
    });
    expect(await getJson(`${ex.restUrl}/api/v3/ping`)).toMatchObject({ status: 200, body: {} });
    const info = await getJson(`${ex.restUrl}/api/v3/exchangeInfo`);
    // exactly the pairs ../shared holds, whichever they are
    expect((info.body as { symbols: { symbol: string }[] }).symbols.map((s) => s.symbol)).toEqual(
      sharedSymbolFolders(),
    );
    expect(Number(info.headers.get('x-mbx-used-weight-1m'))).toBeGreaterThan(0);
  });
});

describe.skipIf(!shared)('replay REST faults', () => {
  it('answers every Nth request with 429 and Retry-After, and counts it', async () => {
    const ex = await startReplayExchange({
      dataDir: sharedKlinesDir(),
      from: FROM,
      speed: 1,
      faults: { rateLimitEveryN: 3, retryAfterSec: 2 },
    });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 9; i++) {
        const res = await fetch(`${ex.restUrl}/api/v3/time`);
        statuses.push(res.status);
        if (res.status === 429) {
          expect(res.headers.get('retry-after')).toBe('2');
          expect(await res.json()).toMatchObject({ code: -1003 });
        }
      }
      expect(statuses).toEqual([200, 200, 429, 200, 200, 429, 200, 200, 429]);
      expect(ex.stats.rateLimited).toBe(3);
    } finally {
      await ex.close();
    }
  });

  it('answers every Nth request with 503 when asked to', async () => {
    const ex = await startReplayExchange({
      dataDir: sharedKlinesDir(),
      from: FROM,
      speed: 1,
      faults: { serverErrorEveryN: 2 },
    });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) statuses.push((await fetch(`${ex.restUrl}/api/v3/ping`)).status);
      expect(statuses).toEqual([200, 503, 200, 503]);
      expect(ex.stats.serverErrors).toBe(2);
    } finally {
      await ex.close();
    }
  });

  it('answers 429 with Retry-After until the next minute once the weight limit is spent', async () => {
    // the weight is counted per wall minute: do not straddle a minute boundary
    const msLeft = 60_000 - (Date.now() % 60_000);
    if (msLeft < 3000) await new Promise((resolve) => setTimeout(resolve, msLeft + 50));
    const ex = await startReplayExchange({
      dataDir: sharedKlinesDir(),
      from: FROM,
      speed: 1,
      weightLimit1m: 5,
    });
    try {
      const used: string[] = [];
      for (let i = 0; i < 5; i++) {
        const res = await fetch(`${ex.restUrl}/api/v3/klines?symbol=BTCUSDT&interval=1h&limit=1`);
        used.push(`${res.status}:${res.headers.get('x-mbx-used-weight-1m')}`);
        if (res.status === 429) expect(Number(res.headers.get('retry-after'))).toBeLessThanOrEqual(60);
      }
      expect(used).toEqual(['200:2', '200:4', '429:6', '429:8', '429:10']);
      expect(ex.stats.rateLimited).toBe(3);
    } finally {
      await ex.close();
    }
  });
});
