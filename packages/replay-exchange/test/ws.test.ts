import { type Candle, closesAt, type Interval } from '@regime/candles';
import { hasSharedKlines, readKlineFiles, sharedKlinesDir } from '@regime/candles/files';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startReplayExchange } from '../src/index.ts';
import { record, sleep, waitFor } from './helpers.ts';

const shared = hasSharedKlines();
if (!shared)
  console.warn('[exchange-replay] ../shared/data/klines is missing: replay WebSocket tests skipped');

interface Message {
  stream: string;
  data: { E: number; s: string; k: Record<string, string | number | boolean> };
}

function toCandle(k: Message['data']['k']): Candle {
  return {
    openTime: k.t as number,
    open: Number(k.o),
    high: Number(k.h),
    low: Number(k.l),
    close: Number(k.c),
    volume: Number(k.v),
    closeTime: k.T as number,
    closed: k.x as boolean,
  };
}

const ohlcv = (c: Candle) => [c.openTime, c.open, c.high, c.low, c.close, c.volume, c.closeTime];

describe.skipIf(!shared)('replay WebSocket kline streams', () => {
  it('delivers every closed candle of the replayed period once, with the source values, after sound updates', async () => {
    // 2024-07-27 00:00 → 06:00: 1m data exists, so 5m/15m/1h updates are built from it.
    const from = Date.UTC(2024, 6, 27, 0, 0);
    const to = Date.UTC(2024, 6, 27, 6, 0);
    const ex = await startReplayExchange({ dataDir: sharedKlinesDir(), from, to, speed: 8000 });
    const symbols = ['BTCUSDT', 'ETHUSDT'];
    const intervals: Interval[] = ['5m', '15m', '1h'];
    const streams = symbols.flatMap((s) => intervals.map((i) => `${s.toLowerCase()}@kline_${i}`));
    const client = record(`${ex.wsUrl}/stream?streams=${streams.join('/')}`);
    try {
      await client.opened;
      await waitFor(() => ex.now() >= to, 10_000, 'the virtual clock to reach the end');
      // the last closes go out on the tick after the clock reaches the end (ticks ≤ 20 ms apart)
      await sleep(150);
      await waitFor(
        () => client.messages.length === ex.stats.wsMessages,
        5_000,
        'every message sent to arrive',
      );
      expect(ex.stats.wsOpen).toBe(1);
      const messages = client.messages.map((m) => JSON.parse(m) as Message);
      for (const symbol of symbols) {
        for (const interval of intervals) {
          const name = `${symbol.toLowerCase()}@kline_${interval}`;
          const mine = messages.filter((m) => m.stream === name);
          expect(mine.every((m) => m.data.s === symbol && m.data.k.i === interval)).toBe(true);
          const finals = mine.filter((m) => m.data.k.x).map((m) => toCandle(m.data.k));
          // A stream starts with the candle in progress when the client subscribed (as on Binance).
          const subscribedAt = toCandle(mine[0]!.data.k).openTime;
          expect(subscribedAt).toBeLessThan(to - 2 * 3_600_000); // a slow start still leaves 2+ hours
          const source = readKlineFiles(sharedKlinesDir(), symbol, interval, { from: subscribedAt, to });
          expect(finals.map(ohlcv)).toEqual(source.map(ohlcv));
          // every update before a close belongs to that candle and stays inside the final's range
          const finalByOpen = new Map(source.map((c) => [c.openTime, c]));
          const updates = mine.filter((m) => !m.data.k.x);
          expect(updates.length).toBeGreaterThan(0);
          for (const u of updates) {
            const c = toCandle(u.data.k);
            const final = finalByOpen.get(c.openTime)!;
            expect(u.data.E).toBeLessThan(closesAt(interval, c.openTime));
            expect(c.open).toBe(final.open);
            expect(c.high).toBeLessThanOrEqual(final.high);
            expect(c.low).toBeGreaterThanOrEqual(final.low);
            expect(c.volume).toBeLessThanOrEqual(final.volume);
            expect(Math.min(c.open, c.close)).toBeGreaterThanOrEqual(c.low);
            expect(Math.max(c.open, c.close)).toBeLessThanOrEqual(c.high);
          }
        }
      }
    } finally {
      client.ws.close();
      await ex.close();
    }
  });

  it('interpolates updates when no finer data exists, and answers SUBSCRIBE on /ws', async () => {
    const from = Date.UTC(2022, 2, 1); // no 1m data in 2022: 5m updates are interpolated
    const ex = await startReplayExchange({
      dataDir: sharedKlinesDir(),
      from,
      to: from + 3_600_000,
      speed: 3000,
    });
    const client = record(`${ex.wsUrl}/ws`);
    try {
      await client.opened;
      client.ws.send(JSON.stringify({ method: 'SUBSCRIBE', params: ['btcusdt@kline_5m'], id: 7 }));
      await waitFor(() => ex.now() >= from + 3_600_000, 10_000, 'the end of the replay');
      // the last closes go out on the tick after the clock reaches the end (ticks ≤ 20 ms apart)
      await sleep(150);
      // + 1: the answer to SUBSCRIBE
      await waitFor(
        () => client.messages.length === ex.stats.wsMessages + 1,
        5_000,
        'every message sent to arrive',
      );
      expect(JSON.parse(client.messages[0]!)).toEqual({ result: null, id: 7 });
      const events = client.messages.slice(1).map((m) => JSON.parse(m) as Message['data']);
      const finals = events.filter((e) => e.k.x).map((e) => toCandle(e.k));
      const first = toCandle(events[0]!.k).openTime;
      const source = readKlineFiles(sharedKlinesDir(), 'BTCUSDT', '5m', {
        from: first,
        to: from + 3_600_000,
      });
      expect(finals.map(ohlcv)).toEqual(source.map(ohlcv));
      const updates = events.filter((e) => !e.k.x).map((e) => toCandle(e.k));
      expect(updates.length).toBeGreaterThan(5);
      for (const u of updates) {
        const final = source.find((c) => c.openTime === u.openTime)!;
        expect(u.high).toBeLessThanOrEqual(final.high);
        expect(u.low).toBeGreaterThanOrEqual(final.low);
        expect(u.close).toBeGreaterThanOrEqual(u.low);
        expect(u.close).toBeLessThanOrEqual(u.high);
      }
    } finally {
      client.ws.close();
      await ex.close();
    }
  });
});

describe.skipIf(!shared)('replay WebSocket faults', () => {
  const isBad = (text: string): boolean => {
    try {
      const m = JSON.parse(text) as Message;
      const k = toCandle(m.data.k);
      return (
        !/^[A-Z0-9]+$/.test(m.data.s) ||
        !['btcusdt@kline_5m', 'ethusdt@kline_5m'].includes(m.stream) ||
        !Number.isFinite(k.close) ||
        k.high < k.low ||
        k.volume < 0
      );
    } catch {
      return true;
    }
  };

  it('injects malformed messages besides the real ones, and delays messages', async () => {
    const from = Date.UTC(2024, 6, 27, 0, 0);
    const to = from + 3_600_000;
    const ex = await startReplayExchange({
      dataDir: sharedKlinesDir(),
      from,
      to,
      speed: 3000,
      faults: { malformedEveryN: 4, delayMs: 30 },
    });
    const client = record(`${ex.wsUrl}/stream?streams=btcusdt@kline_5m/ethusdt@kline_5m`);
    try {
      await client.opened;
      await waitFor(() => ex.now() >= to, 10_000, 'the end of the replay');
      // the last closes go out on the tick after the clock reaches the end (ticks ≤ 20 ms apart)
      await sleep(150);
      const sent = () => ex.stats.wsMessages + ex.stats.malformedSent;
      await waitFor(() => client.messages.length === sent(), 5_000, 'every message sent to arrive');
      const bad = client.messages.filter(isBad);
      expect(client.messages.length).toBeGreaterThan(20);
      expect(bad.length).toBe(ex.stats.malformedSent);
      expect(bad.length).toBe(Math.floor((client.messages.length - bad.length) / 4));
      // the delayed real messages still carry every close: 12 per stream in the hour (minus the first partial one)
      const finals = client.messages.filter((t) => !isBad(t) && (JSON.parse(t) as Message).data.k.x);
      expect(finals.length).toBeGreaterThanOrEqual(2 * 11);
    } finally {
      client.ws.close();
      await ex.close();
    }
  });

  it('drops connections the way a network failure does', async () => {
    const ex = await startReplayExchange({
      dataDir: sharedKlinesDir(),
      from: Date.UTC(2024, 6, 27, 0, 0),
      speed: 600,
      faults: { dropConnectionsEverySec: 0.3 },
    });
    const client = record(`${ex.wsUrl}/stream?streams=btcusdt@kline_5m`);
    try {
      await client.opened;
      await waitFor(() => client.closes.length > 0, 5_000, 'the drop fault');
      expect(client.closes[0]).toBe(1006); // terminated without a close frame
      expect(ex.stats.drops).toBeGreaterThanOrEqual(1);
      expect(ex.stats.droppedConnections).toBe(1);
    } finally {
      await ex.close();
    }
  });
});

describe.skipIf(!shared)("replay WebSocket: Binance's per-connection limits", () => {
  it('disconnects a client that sends more than 5 messages in a second', async () => {
    const ex = await startReplayExchange({
      dataDir: sharedKlinesDir(),
      from: Date.UTC(2024, 6, 27),
      speed: 1,
    });
    const client = record(`${ex.wsUrl}/stream`);
    try {
      await client.opened;
      for (let id = 1; id <= 6; id++) {
        client.ws.send(JSON.stringify({ method: 'SUBSCRIBE', params: ['btcusdt@kline_5m'], id }));
      }
      await waitFor(() => client.closes.length > 0, 5_000, 'the connection to be closed');
      expect(client.closes).toEqual([1008]);
      expect(ex.stats.rateLimitedConnections).toBe(1);
      expect(ex.stats.maxIncomingPerSecond).toBe(6);
      // the five within the limit were answered
      expect(client.messages.filter((m) => m.includes('"result":null'))).toHaveLength(5);
    } finally {
      client.ws.terminate();
      await ex.close();
    }
  });

  it('refuses the 301st connection attempt from one IP within 5 minutes with 429', async () => {
    const ex = await startReplayExchange({
      dataDir: sharedKlinesDir(),
      from: Date.UTC(2024, 6, 27),
      speed: 1,
    });
    // One attempt at a time: open, then close.
    const attempt = () =>
      new Promise<number>((resolve) => {
        const ws = new WebSocket(`${ex.wsUrl}/ws`);
        ws.once('open', () => {
          ws.terminate();
          resolve(101);
        });
        ws.once('unexpected-response', (_req, res) => {
          ws.terminate();
          resolve(res.statusCode ?? 0);
        });
        ws.once('error', () => resolve(-1));
      });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 301; i++) statuses.push(await attempt());
      expect(statuses.slice(0, 300).every((s) => s === 101)).toBe(true);
      expect(statuses[300]).toBe(429);
      expect(ex.stats.wsConnectAttempts).toBe(301);
      expect(ex.stats.refusedConnectAttempts).toBe(1);
      expect(ex.stats.maxConnectAttemptsIn5Min).toBe(301);
    } finally {
      await ex.close();
    }
  });

  it('refuses a SUBSCRIBE past 1024 streams on one connection, and serves frames sent within the limits', async () => {
    const ex = await startReplayExchange({
      dataDir: sharedKlinesDir(),
      from: Date.UTC(2024, 6, 27),
      speed: 1,
    });
    const client = record(`${ex.wsUrl}/stream`);
    const names = (from: number, n: number) =>
      Array.from({ length: n }, (_, i) => `s${from + i}usdt@kline_5m`);
    try {
      await client.opened;
      client.ws.send(JSON.stringify({ method: 'SUBSCRIBE', params: names(0, 1024), id: 1 }));
      await waitFor(() => client.messages.length === 1, 5_000, 'the first answer');
      client.ws.send(JSON.stringify({ method: 'SUBSCRIBE', params: ['btcusdt@kline_5m'], id: 2 }));
      await waitFor(() => client.messages.length === 2, 5_000, 'the second answer');
      expect(JSON.parse(client.messages[0]!)).toEqual({ result: null, id: 1 });
      expect(JSON.parse(client.messages[1]!)).toEqual({
        error: { code: 2, msg: 'Invalid request: a connection can listen to at most 1024 streams' },
        id: 2,
      });
    } finally {
      client.ws.terminate();
      await ex.close();
    }
  });
});
