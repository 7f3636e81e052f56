import { type Candle, INTERVAL_MS, type Interval, type Kline } from '@regime/candles';
import { hasSharedKlines, readKlineFiles, sharedKlinesDir } from '@regime/candles/files';
import { startReplayExchange } from '@regime/replay-exchange';
import { describe, expect, it } from 'vitest';
import { BinanceRest, ConnectAttemptBudget, KlineStream, type RejectCode } from '../src/index.ts';

const shared = hasSharedKlines();
if (!shared)
  console.warn('[binance] ../shared/data/klines is missing: KlineStream tests against the replay skipped');

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
async function waitFor(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}

const fastReconnect = { minMs: 20, maxMs: 200 };
const key = (k: { symbol: string; interval: string }) => `${k.symbol}@${k.interval}`;

/** Closed klines per stream, in arrival order. */
function finalsOf(klines: Kline[]): Map<string, Candle[]> {
  const out = new Map<string, Candle[]>();
  for (const k of klines.filter((k) => k.closed)) {
    const { symbol: _s, interval: _i, ...candle } = k;
    out.set(key(k), [...(out.get(key(k)) ?? []), candle]);
  }
  return out;
}

describe.skipIf(!shared)('KlineStream against the replay exchange', () => {
  it('delivers every closed kline with the source values; malformed messages are rejected and counted', async () => {
    const from = Date.UTC(2024, 6, 27);
    const to = from + 4 * 3_600_000;
    const ex = await startReplayExchange({
      dataDir: sharedKlinesDir(),
      from,
      to,
      speed: 6000,
      faults: { malformedEveryN: 3 },
    });
    const symbols = ['BTCUSDT', 'ETHUSDT'];
    const intervals: Interval[] = ['5m', '15m', '1h'];
    // 2 streams per connection: 3 connections, as a > 1024-stream subscription would be split
    const stream = new KlineStream({ baseUrl: ex.wsUrl, symbols, intervals, maxStreamsPerConnection: 2 });
    const klines: Kline[] = [];
    const codes = new Map<RejectCode, number>();
    stream.on('kline', (k) => klines.push(k));
    stream.on('rejected', (_reason, _raw, code) => codes.set(code, (codes.get(code) ?? 0) + 1));
    try {
      await stream.start();
      expect(ex.stats.wsConnections).toBe(3);
      await waitFor(() => ex.now() >= to, 10_000, 'the end of the replay');
      // the last closes go out on the tick after the clock reaches the end (ticks ≤ 20 ms apart)
      await sleep(150);
      const sent = () => ex.stats.wsMessages + ex.stats.malformedSent;
      await waitFor(() => stream.stats.messages === sent(), 20_000, 'every message sent to arrive');
      const finals = finalsOf(klines);
      for (const symbol of symbols) {
        for (const interval of intervals) {
          const first = klines.find((k) => k.symbol === symbol && k.interval === interval)!;
          const source = readKlineFiles(sharedKlinesDir(), symbol, interval, { from: first.openTime, to });
          expect(finals.get(`${symbol}@${interval}`)).toEqual(source);
        }
      }
      expect(ex.stats.malformedSent).toBeGreaterThan(7);
      expect(stream.stats.rejected).toBe(ex.stats.malformedSent);
      // the rotation covers every kind of bad message
      expect([...codes.keys()].sort()).toEqual(
        [
          'bad_schema',
          'invalid_candle',
          'invalid_symbol',
          'malformed_json',
          'unknown_interval',
          'unknown_stream',
        ].sort(),
      );
    } finally {
      await stream.stop();
      await ex.close();
    }
  });

  it('reconnects after the server drops it, and a REST gap-fill on "reconnected" loses nothing', async () => {
    const from = Date.UTC(2024, 2, 4);
    const to = from + 6 * 3_600_000;
    const ex = await startReplayExchange({
      dataDir: sharedKlinesDir(),
      from,
      to,
      speed: 4000,
      faults: { dropConnectionsEverySec: 1 },
    });
    const stream = new KlineStream({
      baseUrl: ex.wsUrl,
      symbols: ['BTCUSDT'],
      intervals: ['5m', '15m'],
      reconnect: { minMs: 300, maxMs: 600 }, // long enough for candles to close while down
    });
    const rest = new BinanceRest({ baseUrl: ex.restUrl });
    const got = new Map<string, Map<number, Candle>>();
    const keep = (symbol: string, interval: string, c: Candle) => {
      const k = `${symbol}@${interval}`;
      if (!got.has(k)) got.set(k, new Map());
      got.get(k)!.set(c.openTime, c);
    };
    const fills: Promise<void>[] = [];
    const downs: string[] = [];
    let gapFilled = 0;
    stream.on('kline', ({ symbol, interval, ...candle }) => candle.closed && keep(symbol, interval, candle));
    stream.on('disconnected', (reason) => downs.push(reason));
    stream.on('reconnected', (downSince, info) => {
      expect(downSince).toBeLessThanOrEqual(Date.now());
      for (const { symbol, interval } of info.streams) {
        const last = info.lastClosedOpenTime[`${symbol}@${interval}`];
        if (last === undefined) continue;
        fills.push(
          (async () => {
            for await (const page of rest.klinesBetween(symbol, interval, last + INTERVAL_MS[interval], to)) {
              gapFilled += page.length;
              for (const c of page) keep(symbol, interval, c);
            }
          })(),
        );
      }
    });
    try {
      await stream.start();
      const firstOpen: Record<string, number> = {};
      await waitFor(() => got.size === 2, 20_000, 'first closed klines');
      for (const [k, m] of got) firstOpen[k] = Math.min(...m.keys());
      await waitFor(() => ex.now() >= to, 15_000, 'the end of the replay');
      await sleep(300);
      await Promise.all(fills);
      expect(stream.stats.reconnects).toBeGreaterThanOrEqual(3);
      expect(downs.length).toBe(stream.stats.reconnects);
      expect(ex.stats.drops).toBeGreaterThanOrEqual(3);
      expect(gapFilled).toBeGreaterThan(0);
      for (const interval of ['5m', '15m'] as const) {
        const k = `BTCUSDT@${interval}`;
        const source = readKlineFiles(sharedKlinesDir(), 'BTCUSDT', interval, { from: firstOpen[k]!, to });
        const mine = [...got.get(k)!.values()].sort((a, b) => a.openTime - b.openTime);
        expect(mine).toEqual(source);
      }
    } finally {
      await stream.stop();
      await ex.close();
    }
  });

  it('400 symbols × 5m/15m/1h: 1 200 streams on two connections within Binance limits; a drop and its REST gap fill lose nothing', async () => {
    const from = Date.UTC(2024, 2, 4);
    const to = from + 3 * 3_600_000;
    const intervals: Interval[] = ['5m', '15m', '1h'];
    const ex = await startReplayExchange({
      dataDir: sharedKlinesDir(),
      symbols: ['BTCUSDT'],
      copies: 399,
      from,
      to,
      speed: 1500,
      // One in-progress update per stream every 5 virtual minutes: the finals are what is checked here.
      updateEveryMs: 300_000,
      // The gap fill of 1 200 streams is ~2 400 weight: not what this test is about.
      weightLimit1m: 1_000_000,
    });
    const symbols = [...ex.symbols];
    expect(symbols).toHaveLength(400);
    const stream = new KlineStream({
      baseUrl: ex.wsUrl,
      symbols,
      intervals,
      reconnect: { minMs: 300, maxMs: 600 }, // long enough for candles to close while down
    });
    const rest = new BinanceRest({ baseUrl: ex.restUrl });
    const got = new Map<string, Map<number, Candle>>();
    const keep = (symbol: string, interval: string, c: Candle) => {
      const k = `${symbol}@${interval}`;
      if (!got.has(k)) got.set(k, new Map());
      got.get(k)!.set(c.openTime, c);
    };
    const firstOpen = new Map<string, number>();
    const fills: Promise<void>[] = [];
    let gapFilled = 0;
    stream.on('kline', ({ symbol, interval, ...candle }) => {
      if (!candle.closed) return;
      const k = `${symbol}@${interval}`;
      if (!firstOpen.has(k)) firstOpen.set(k, candle.openTime);
      keep(symbol, interval, candle);
    });
    stream.on('reconnected', (_downSince, info) => {
      for (const { symbol, interval } of info.streams) {
        const last = info.lastClosedOpenTime[`${symbol}@${interval}`];
        if (last === undefined) continue;
        fills.push(
          (async () => {
            for await (const page of rest.klinesBetween(symbol, interval, last + INTERVAL_MS[interval], to)) {
              gapFilled += page.length;
              for (const c of page) keep(symbol, interval, c);
            }
          })(),
        );
      }
    });
    try {
      await stream.start();
      // 1 200 streams: 1 024 on the first connection, 176 on the second.
      expect(ex.stats.wsConnections).toBe(2);
      expect(stream.connectionStates().map((c) => c.streams)).toEqual([1024, 176]);
      // Every stream has a closed candle (and a 1h one has closed since): then drop both connections.
      await waitFor(
        () => firstOpen.size === 1200 && [...got.keys()].filter((k) => k.endsWith('@1h')).length === 400,
        120_000,
        'a closed kline on each of the 1 200 streams',
      );
      ex.dropConnections();
      await waitFor(() => stream.stats.reconnects >= 2, 120_000, 'both connections back');
      await waitFor(() => ex.now() >= to, 120_000, 'the end of the replay');
      await sleep(300);
      await Promise.all(fills);
      expect(gapFilled).toBeGreaterThan(0);
      const source = Object.fromEntries(
        intervals.map((interval) => [
          interval,
          readKlineFiles(sharedKlinesDir(), 'BTCUSDT', interval, { from, to }),
        ]),
      );
      for (const symbol of symbols) {
        for (const interval of intervals) {
          const k = `${symbol}@${interval}`;
          const mine = [...got.get(k)!.values()].sort((a, b) => a.openTime - b.openTime);
          expect(mine, k).toEqual(source[interval]!.filter((c) => c.openTime >= firstOpen.get(k)!));
        }
      }
      // Binance's limits, as the exchange counted them.
      expect(ex.stats.maxIncomingPerSecond).toBeLessThanOrEqual(5);
      expect(ex.stats.maxIncomingPerSecond).toBeGreaterThan(1); // it did count the SUBSCRIBE frames
      expect(ex.stats.rateLimitedConnections).toBe(0);
      expect(ex.stats.refusedConnectAttempts).toBe(0);
      expect(ex.stats.wsConnectAttempts).toBe(stream.stats.connectAttempts);
      expect(stream.stats.connectAttempts).toBe(4);
    } finally {
      await stream.stop();
      await ex.close();
    }
  }, 400_000);

  it('stays within its connection attempt budget however often the server drops it', async () => {
    const from = Date.UTC(2024, 2, 4);
    const ex = await startReplayExchange({
      dataDir: sharedKlinesDir(),
      from,
      to: from + 3_600_000,
      speed: 1,
      faults: { dropConnectionsEverySec: 0.2 },
    });
    const stream = new KlineStream({
      baseUrl: ex.wsUrl,
      symbols: ['BTCUSDT'],
      intervals: ['5m'],
      reconnect: fastReconnect,
      connectBudget: new ConnectAttemptBudget(3, 600_000),
    });
    try {
      await stream.start();
      await waitFor(() => stream.stats.connectsDeferred >= 1, 20_000, 'an attempt past the budget');
      expect(stream.stats.connectAttempts).toBe(3);
      expect(ex.stats.wsConnectAttempts).toBe(3);
    } finally {
      await stream.stop();
      await ex.close();
    }
  });

  it('terminates a connection that stays silent past pingTimeoutMs, and reconnects', async () => {
    // The clock is frozen at `to`: no kline is ever sent, and pings are far apart.
    const from = Date.UTC(2024, 2, 4);
    const ex = await startReplayExchange({
      dataDir: sharedKlinesDir(),
      from,
      to: from + 1,
      speed: 1,
      pingIntervalMs: 60_000,
    });
    const stream = new KlineStream({
      baseUrl: ex.wsUrl,
      symbols: ['BTCUSDT'],
      intervals: ['1h'],
      pingTimeoutMs: 300,
      reconnect: fastReconnect,
    });
    const reasons: string[] = [];
    stream.on('disconnected', (reason) => reasons.push(reason));
    try {
      await stream.start();
      await waitFor(() => stream.stats.reconnects >= 2, 20_000, 'two reconnects');
      expect(reasons[0]).toMatch(/^no message or ping for 300 ms/);
      expect(ex.stats.wsConnections).toBeGreaterThanOrEqual(3);
    } finally {
      await stream.stop();
      await ex.close();
    }
  });
});

describe('KlineStream options', () => {
  it('refuses invalid symbols and empty subscriptions up front', () => {
    expect(() => new KlineStream({ baseUrl: 'ws://x', symbols: ['btc usdt'], intervals: ['5m'] })).toThrow(
      /invalid symbol/,
    );
    expect(() => new KlineStream({ baseUrl: 'ws://x', symbols: ['BTCUSDT'], intervals: [] })).toThrow(
      /at least one/,
    );
  });

  it('stop() before the first connection rejects start() instead of hanging', async () => {
    const stream = new KlineStream({
      baseUrl: 'ws://127.0.0.1:1',
      symbols: ['BTCUSDT'],
      intervals: ['5m'],
      reconnect: fastReconnect,
    });
    const started = stream.start();
    await sleep(50);
    await stream.stop();
    await expect(started).rejects.toThrow(/stopped before it connected/);
  });
});
