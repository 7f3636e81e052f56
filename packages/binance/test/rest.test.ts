import { once } from 'node:events';
import { type AddressInfo, createServer } from 'node:net';
import { type Candle, closesAt } from '@regime/candles';
import { hasSharedKlines, readKlineFiles, sharedKlinesDir } from '@regime/candles/files';
import { type ReplayExchange, startReplayExchange } from '@regime/replay-exchange';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BinanceApiError, BinanceRest, RetriesExhaustedError, UnknownSymbolError } from '../src/index.ts';
import { WeightPacer } from '../src/weight.ts';

const shared = hasSharedKlines();
if (!shared)
  console.warn('[binance] ../shared/data/klines is missing: REST client tests against the replay skipped');

const NOW = Date.UTC(2024, 1, 1, 12, 2, 30); // the replay's virtual now, mid-candle
const fast = { minMs: 20, maxMs: 200 };

async function collect(pages: AsyncIterable<Candle[]>): Promise<{ candles: Candle[]; pages: number }> {
  const candles: Candle[] = [];
  let count = 0;
  for await (const page of pages) {
    candles.push(...page);
    count++;
  }
  return { candles, pages: count };
}

describe.skipIf(!shared)('BinanceRest against the replay exchange', () => {
  let ex: ReplayExchange;
  beforeAll(async () => {
    ex = await startReplayExchange({ dataDir: sharedKlinesDir(), from: NOW, speed: 1 });
  });
  afterAll(() => ex?.close());

  it('pages across > 1000 candles and returns exactly the source candles', async () => {
    const rest = new BinanceRest({ baseUrl: ex.restUrl });
    const from = Date.UTC(2024, 0, 10);
    const to = Date.UTC(2024, 0, 20);
    const seen: number[] = [];
    const { candles, pages } = await collect(
      rest.klinesBetween('BTCUSDT', '5m', from, to, (page) => {
        seen.push(page.length);
      }),
    );
    const source = readKlineFiles(sharedKlinesDir(), 'BTCUSDT', '5m', { from, to });
    expect(source).toHaveLength(2880);
    expect(candles).toEqual(source);
    expect(pages).toBe(3);
    expect(seen).toEqual([1000, 1000, 880]);
    // historical paging needs one /time request at most (the first), then none
    expect(rest.stats.requests).toBeLessThanOrEqual(4);
    expect(rest.usedWeight1m).toBeGreaterThan(0);
  });

  it('keeps the trade details the source has (15m files)', async () => {
    const rest = new BinanceRest({ baseUrl: ex.restUrl });
    const from = Date.UTC(2024, 0, 1);
    const to = Date.UTC(2024, 0, 13);
    const { candles } = await collect(rest.klinesBetween('ETHUSDT', '15m', from, to));
    expect(candles).toEqual(readKlineFiles(sharedKlinesDir(), 'ETHUSDT', '15m', { from, to }));
    expect(candles[0]!.trades).toBeGreaterThan(0);
  });

  it('stops at the present: only closed candles, the in-progress one dropped', async () => {
    const rest = new BinanceRest({ baseUrl: ex.restUrl });
    const from = NOW - 3 * 3_600_000;
    const { candles } = await collect(rest.klinesBetween('BTCUSDT', '5m', from, NOW + 86_400_000));
    const serverTime = await rest.serverTime();
    expect(candles.length).toBeGreaterThanOrEqual(35); // 09:05 … 11:55
    expect(candles.every((c) => c.closed && closesAt('5m', c.openTime) <= serverTime)).toBe(true);
    expect(candles).toEqual(
      readKlineFiles(sharedKlinesDir(), 'BTCUSDT', '5m', { from, to: candles.at(-1)!.openTime + 1 }),
    );
    expect(candles.at(-1)!.openTime).toBeGreaterThanOrEqual(NOW - 600_000);

    const page = await rest.klines({ symbol: 'BTCUSDT', interval: '15m', limit: 4 });
    expect(page.map((c) => c.closed)).toEqual([true, true, true, false]);
  });

  it('throws UnknownSymbolError for -1121, without retrying', async () => {
    const rest = new BinanceRest({ baseUrl: ex.restUrl, backoff: fast });
    const error = await rest
      .klines({ symbol: 'NOSUCHPAIRUSDT', interval: '5m', endTime: NOW - 86_400_000 })
      .catch((e) => e);
    expect(error).toBeInstanceOf(UnknownSymbolError);
    expect(error).toMatchObject({ status: 400, code: -1121, symbol: 'NOSUCHPAIRUSDT' });
    expect(error.message).toMatch(/unknown symbol NOSUCHPAIRUSDT.*Invalid symbol/);
    expect(rest.stats.retries).toBe(0);
    const badLimit = await rest
      .klines({ symbol: 'BTCUSDT', interval: '5m', limit: 5000, endTime: 0 })
      .catch((e) => e);
    expect(badLimit).toBeInstanceOf(BinanceApiError);
    expect(badLimit).toMatchObject({ code: -1130 });
  });
});

describe.skipIf(!shared)('BinanceRest retries', () => {
  it('waits Retry-After on 429, retries, counts it, and still returns exactly the source', async () => {
    const ex = await startReplayExchange({
      dataDir: sharedKlinesDir(),
      from: NOW,
      speed: 1,
      faults: { rateLimitEveryN: 2, retryAfterSec: 1 },
    });
    try {
      const rest = new BinanceRest({ baseUrl: ex.restUrl, backoff: fast });
      const from = Date.UTC(2024, 0, 20);
      const to = Date.UTC(2024, 0, 24); // 1152 candles: 2 pages + 1 time request
      const started = Date.now();
      const { candles } = await collect(rest.klinesBetween('BTCUSDT', '5m', from, to));
      expect(candles).toEqual(readKlineFiles(sharedKlinesDir(), 'BTCUSDT', '5m', { from, to }));
      expect(rest.stats.rateLimited).toBeGreaterThanOrEqual(1);
      expect(rest.stats.rateLimited).toBe(ex.stats.rateLimited);
      expect(rest.stats.retries).toBe(rest.stats.rateLimited);
      expect(Date.now() - started).toBeGreaterThanOrEqual(1000 * rest.stats.rateLimited);
    } finally {
      await ex.close();
    }
  });

  it('retries 5xx answers with backoff', async () => {
    const ex = await startReplayExchange({
      dataDir: sharedKlinesDir(),
      from: NOW,
      speed: 1,
      faults: { serverErrorEveryN: 2 },
    });
    try {
      const rest = new BinanceRest({ baseUrl: ex.restUrl, backoff: fast });
      const from = Date.UTC(2024, 0, 1);
      const to = Date.UTC(2024, 0, 2);
      const { candles } = await collect(rest.klinesBetween('BTCUSDT', '1h', from, to));
      expect(candles).toEqual(readKlineFiles(sharedKlinesDir(), 'BTCUSDT', '1h', { from, to }));
      expect(ex.stats.serverErrors).toBeGreaterThanOrEqual(1);
      expect(rest.stats.retries).toBe(ex.stats.serverErrors);
      expect(rest.stats.rateLimited).toBe(0);
    } finally {
      await ex.close();
    }
  });

  it('gives up after maxRetries with a clear error', async () => {
    const ex = await startReplayExchange({
      dataDir: sharedKlinesDir(),
      from: NOW,
      speed: 1,
      faults: { rateLimitEveryN: 1, retryAfterSec: 0 },
    });
    try {
      const rest = new BinanceRest({ baseUrl: ex.restUrl, maxRetries: 2, backoff: fast });
      const error = await rest.serverTime().catch((e) => e);
      expect(error).toBeInstanceOf(RetriesExhaustedError);
      expect(error.message).toMatch(/\/api\/v3\/time failed after 3 attempts: HTTP 429/);
      expect(rest.stats).toMatchObject({ requests: 3, retries: 2, rateLimited: 3 });
    } finally {
      await ex.close();
    }
  });
});

describe('BinanceRest network failures', () => {
  it('retries connection errors with backoff, then fails clearly', async () => {
    // a port nobody listens on any more: a real connection refusal, no mock
    const server = createServer().listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    await new Promise((resolve) => server.close(resolve));
    const rest = new BinanceRest({ baseUrl: `http://127.0.0.1:${port}`, maxRetries: 2, backoff: fast });
    const error = await rest.serverTime().catch((e) => e);
    expect(error).toBeInstanceOf(RetriesExhaustedError);
    expect(error.message).toMatch(/failed after 3 attempts: .*fetch failed/);
    expect(rest.stats).toMatchObject({ requests: 3, retries: 2, rateLimited: 0 });
  });

  it('refuses invalid symbols before any request', async () => {
    const rest = new BinanceRest({ baseUrl: 'http://127.0.0.1:1' });
    await expect(rest.klines({ symbol: "BTC'; DROP", interval: '5m' })).rejects.toThrow(/invalid symbol/);
    expect(rest.stats.requests).toBe(0);
  });
});

describe('WeightPacer', () => {
  it('does not wait under 80 % of the budget, spreads requests above, waits for the next minute at it', () => {
    let now = 60_000 * 1000 + 30_000; // 30 s into a minute
    const pacer = new WeightPacer(1000, () => now);
    pacer.observe(100);
    expect(pacer.delayFor(2)).toBe(0);
    pacer.observe(900);
    const spread = pacer.delayFor(2); // 100 weight left over 30 s: 50 requests
    expect(spread).toBe(600);
    pacer.observe(999);
    expect(pacer.delayFor(2)).toBe(30_050);
    now += 30_000; // a new minute: the count restarts
    expect(pacer.usedWeight).toBe(0);
    expect(pacer.delayFor(2)).toBe(0);
  });
});
