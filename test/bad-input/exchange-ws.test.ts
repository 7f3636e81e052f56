import { KlineStream } from '@regime/binance';
import { INTERVAL_MS, type Interval, type Kline } from '@regime/candles';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type CollectorRig,
  collectorRig,
  counterValue,
  dropDb,
  freshDb,
  rows,
  waitFor,
} from '../src/collector-harness.ts';
import { FakeExchange } from '../src/fake-exchange.ts';

/**
 * Bad WebSocket input against the real collector and a real QuestDB (own tables): each frame must be
 * refused with its reason code, counted, recorded in pipeline_events, and leave klines untouched.
 */

const STEP = INTERVAL_MS['5m'];
/** The fake exchange's clock: 30 s into a 5m candle. */
const NOW = Date.UTC(2025, 5, 2, 12, 0, 30);
const IN_PROGRESS = Math.floor(NOW / STEP) * STEP;
const LAST_CLOSED = IN_PROGRESS - STEP;
const YEAR = 365 * 86_400_000;

let rig: CollectorRig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

async function rejectedEvents(r: CollectorRig): Promise<{ count: number; detail: string }[]> {
  return rows(r.db, `SELECT count, detail FROM ${r.db.tables.events} WHERE kind = 'rejected'`);
}

/** Sends a frame, waits until the collector has refused it, and everything it holds is written. */
async function refuse(r: CollectorRig, frame: string, code: string): Promise<void> {
  const before = await counterValue(r.collector.metrics.rejected, { reason: code });
  r.exchange.broadcast(frame);
  await waitFor(
    `a ${code} refusal`,
    async () => (await counterValue(r.collector.metrics.rejected, { reason: code })) > before,
  );
  await r.collector.settled();
}

describe('WebSocket candles dated after the exchange clock', () => {
  it('refuses a closed candle a year ahead (event time now): future_candle, counted, recorded, not stored', async () => {
    rig = await collectorRig({ now: NOW });
    await rig.collector.settled();
    const future = IN_PROGRESS + YEAR;
    await refuse(
      rig,
      FakeExchange.klineFrame('BTCUSDT', '5m', future, { closed: true, eventTime: NOW }),
      'future_candle',
    );
    const stored = await rows<{ n: number }>(
      rig.db,
      `SELECT count() n FROM ${rig.db.tables.klines} WHERE ts > $1`,
      [new Date(NOW).toISOString()],
    );
    expect(Number(stored[0]!.n)).toBe(0);
    const events = await rejectedEvents(rig);
    expect(events.map((e) => e.detail).join('\n')).toMatch(/future_candle: BTCUSDT 5m opens at 2026-06-02/);
  });

  it('refuses a candle marked closed before its close time has come', async () => {
    rig = await collectorRig({ now: NOW });
    await rig.collector.settled();
    await refuse(
      rig,
      FakeExchange.klineFrame('BTCUSDT', '5m', IN_PROGRESS, { closed: true, eventTime: NOW }),
      'future_candle',
    );
    const stored = await rows<{ closed: boolean }>(
      rig.db,
      `SELECT closed FROM ${rig.db.tables.klines} WHERE ts = $1`,
      [new Date(IN_PROGRESS).toISOString()],
    );
    expect(stored.filter((r) => r.closed)).toEqual([]);
    expect((await rejectedEvents(rig)).map((e) => e.detail).join('\n')).toMatch(
      /is marked closed but closes at/,
    );
  });

  it('still stores the next real closed candle after a refused future one', async () => {
    rig = await collectorRig({ now: NOW });
    await rig.collector.settled();
    await refuse(
      rig,
      FakeExchange.klineFrame('BTCUSDT', '5m', IN_PROGRESS + YEAR, { closed: true, eventTime: NOW }),
      'future_candle',
    );
    expect(rig.collector.lastClosed('BTCUSDT', '5m')).toBe(LAST_CLOSED);
  });
});

describe('start-up gap fill with a poisoned newest row', () => {
  let db: Awaited<ReturnType<typeof freshDb>> | undefined;
  afterEach(async () => {
    await dropDb(db);
    db = undefined;
  });

  it('fills the real candles missed after the last true one, and records the future row', async () => {
    db = await freshDb();
    // Stored: candles up to 10 before the last closed one, then a poisoned closed candle a year ahead.
    const storedUntil = LAST_CLOSED - 9 * STEP;
    const good = [];
    for (let t = storedUntil - 5 * STEP; t <= storedUntil; t += STEP) good.push(t);
    const toKline = (t: number) => {
      const r = FakeExchange.row('BTCUSDT', '5m', t);
      return {
        symbol: 'BTCUSDT',
        interval: '5m' as const,
        openTime: t,
        open: Number(r[1]),
        high: Number(r[2]),
        low: Number(r[3]),
        close: Number(r[4]),
        volume: Number(r[5]),
        closeTime: t + STEP - 1,
        closed: true,
      };
    };
    await db.writeKlines([...good.map(toKline), toKline(IN_PROGRESS + YEAR)]);
    await db.waitForWal(); // a restart finds them long applied
    rig = await collectorRig({ now: NOW, db });
    await rig.collector.settled();
    const filled = await rows<{ ts: number }>(
      db,
      `SELECT ts FROM ${db.tables.klines} WHERE ts > $1 AND ts <= $2 AND closed ORDER BY ts`,
      [new Date(storedUntil).toISOString(), new Date(LAST_CLOSED).toISOString()],
    );
    expect(filled.map((r) => r.ts)).toEqual(
      Array.from({ length: 9 }, (_, i) => storedUntil + (i + 1) * STEP),
    );
    const events = await rows<{ count: number; detail: string }>(
      db,
      `SELECT count, detail FROM ${db.tables.events} WHERE kind = 'future_rows'`,
    );
    expect(events).toHaveLength(1);
    expect(Number(events[0]!.count)).toBe(1);
    expect(events[0]!.detail).toMatch(/past the exchange clock: ignored by the gap fill/);
    expect(await counterValue(rig.collector.metrics.futureRows, { interval: '5m' })).toBe(1);
  });
});

describe('many streams: SUBSCRIBE frames within Binance limits, health per connection', () => {
  it('1500 streams: two connections on the bare /stream URL, SUBSCRIBE batches of ≤ 200, ≤ 5 frames a second', async () => {
    const exchange = await FakeExchange.start({ now: () => NOW });
    const symbols = Array.from({ length: 500 }, (_, i) => `S${i}USDT`);
    const intervals: Interval[] = ['5m', '15m', '1h'];
    const stream = new KlineStream({
      baseUrl: exchange.wsUrl,
      symbols,
      intervals,
      reconnect: { minMs: 20, maxMs: 100 },
    });
    const klines: Kline[] = [];
    const refused: string[] = [];
    stream.on('kline', (k) => klines.push(k));
    stream.on('rejected', (reason) => refused.push(reason));
    try {
      await stream.start();
      expect(exchange.upgradeUrls).toEqual(['/stream', '/stream']);
      const subscribed = exchange.subscribedStreams();
      expect(subscribed).toHaveLength(1500);
      expect(new Set(subscribed).size).toBe(1500);
      const perSocket: number[] = [];
      for (const socket of [0, 1]) {
        const frames = exchange.clientFrames.filter((f) => f.socket === socket);
        const streams = frames.flatMap((f) => (JSON.parse(f.text) as { params: string[] }).params);
        perSocket.push(streams.length);
        for (const f of frames)
          expect((JSON.parse(f.text) as { params: string[] }).params.length).toBeLessThanOrEqual(200);
        // No 1-second window holds more than 5 frames (Binance disconnects past that).
        for (const f of frames)
          expect(frames.filter((g) => g.at >= f.at && g.at < f.at + 1000).length).toBeLessThanOrEqual(5);
      }
      expect(perSocket.sort()).toEqual([1024, 476]);
      expect(stream.connectionStates().map((c) => [c.id, c.streams, c.up])).toEqual([
        [0, 1024, true],
        [1, 476, true],
      ]);
      // A stream of the last batch of the second connection is delivered.
      const carrier = exchange.clientFrames.find((f) => f.text.includes('"s499usdt@kline_1h"'))!.socket;
      exchange.sendTo(
        carrier,
        FakeExchange.klineFrame('S499USDT', '1h', Date.UTC(2025, 5, 2, 11), { closed: true, eventTime: NOW }),
      );
      await waitFor('the S499USDT 1h kline', () => klines.length > 0);
      expect(klines.map((k) => `${k.symbol} ${k.interval}`)).toEqual(['S499USDT 1h']);
      expect(refused).toEqual([]);
    } finally {
      await stream.stop();
      await exchange.close();
    }
  });

  it('/healthz is not ok while one of two connections is refused past the grace period, and names it', async () => {
    const exchange = await FakeExchange.start({ now: () => NOW, symbols: ['BTCUSDT', 'ETHUSDT'] });
    exchange.maxConnections = 1;
    rig = await collectorRig({
      now: NOW,
      exchange,
      symbols: ['BTCUSDT', 'ETHUSDT'],
      deps: {
        stream: { reconnect: { minMs: 20, maxMs: 100 }, maxStreamsPerConnection: 1 },
        healthGraceMs: 300,
      },
    });
    await waitFor('the health check to fail', () => !rig!.collector.health().ok, 10_000);
    const health = rig.collector.health();
    expect(health.reasons).toEqual([
      expect.stringMatching(/^connection 1 \(1 streams\) down for \d+ ms: .*429/),
    ]);
    expect((health.connections as { id: number; up: boolean }[]).map((c) => [c.id, c.up])).toEqual([
      [0, true],
      [1, false],
    ]);
    expect(await counterValue({ get: () => rig!.collector.metrics.connectionsDown.get() })).toBe(1);
    // Once the exchange takes the second connection, the collector is healthy again.
    exchange.maxConnections = 2;
    await waitFor('the health check to pass', () => rig!.collector.health().ok, 10_000);
    // Nothing but the exchange's valid candles was stored meanwhile.
    const stored = await rows<{ n: number }>(
      rig.db,
      `SELECT count() n FROM ${rig.db.tables.klines} WHERE high < low OR ts > $1`,
      [new Date(NOW).toISOString()],
    );
    expect(Number(stored[0]!.n)).toBe(0);
  });
});

describe('a burst of garbage frames', () => {
  it('20 000 bad frames: every one counted, a handful of truthful log lines, aggregated events, nothing stored', async () => {
    rig = await collectorRig({
      now: NOW,
      deps: {
        stream: { reconnect: { minMs: 20, maxMs: 200 }, rejectionLogWindowMs: 300 },
        rejectedEventWindowMs: 300,
      },
    });
    await rig.collector.settled();
    const storedBefore = await rows<{ n: number }>(rig.db, `SELECT count() n FROM ${rig.db.tables.klines}`);
    const nan = FakeExchange.klineFrame('BTCUSDT', '5m', LAST_CLOSED, {
      closed: true,
      eventTime: NOW,
    }).replace(/"c":"[^"]+"/, '"c":"NaN"');
    for (let i = 0; i < 10_000; i++) {
      rig.exchange.broadcast(`{"stream":"btcusdt@kline_5m","data":{garbage ${i}`);
      rig.exchange.broadcast(nan);
    }
    const refused = async () =>
      (await counterValue(rig!.collector.metrics.rejected, { reason: 'malformed_json' })) +
      (await counterValue(rig!.collector.metrics.rejected, { reason: 'bad_schema' }));
    await waitFor('20 000 refusals', async () => (await refused()) === 20_000, 60_000);
    await waitFor('the summary log lines', () =>
      rig!.logs().some((l) => /refused \d+ more message\(s\) from the exchange/.test(String(l.msg))),
    );
    await rig.collector.settled();
    const loud = rig.logs().filter((l) => Number(l.level) >= 40);
    // Per 300 ms window: one line for the first refusal of each of the 2 reasons, one summary line.
    const first = 'refused a message from the exchange (further refusals of this reason are summarised)';
    const summaries = loud.filter((l) =>
      /^refused \d+ more message\(s\) from the exchange/.test(String(l.msg)),
    );
    expect(loud.filter((l) => l.msg !== first && !summaries.includes(l))).toEqual([]);
    expect(loud.length).toBeLessThanOrEqual(3 * summaries.length + 2);
    expect(loud.length).toBeLessThan(100);
    const events = await rows<{ count: number; detail: string }>(
      rig.db,
      `SELECT count, detail FROM ${rig.db.tables.events} WHERE kind = 'rejected'`,
    );
    expect(events.length).toBeLessThanOrEqual(20);
    expect(events.reduce((n, e) => n + Number(e.count), 0)).toBe(20_000);
    expect(events.map((e) => e.detail).join('\n')).toMatch(
      /WebSocket message\(s\) refused \((malformed_json|bad_schema)\)/,
    );
    const storedAfter = await rows<{ n: number }>(rig.db, `SELECT count() n FROM ${rig.db.tables.klines}`);
    expect(storedAfter).toEqual(storedBefore);
  });
});

describe('malformed WebSocket kline messages', () => {
  const good = () => FakeExchange.klineFrame('BTCUSDT', '5m', LAST_CLOSED, { closed: true, eventTime: NOW });
  /** The good frame with one field of the kline object replaced (JSON-encoded value). */
  const withKline = (field: string, json: string) =>
    good().replace(new RegExp(`"${field}":("[^"]*"|[^,}]+)`), `"${field}":${json}`);

  it.each([
    ['truncated JSON', () => good().slice(0, 60), 'malformed_json', /malformed_json: /],
    [
      'a NaN close',
      () => withKline('c', '"NaN"'),
      'bad_schema',
      /bad_schema: data\.k\.c: expected a decimal string|bad_schema: k\.c: expected a decimal string/,
    ],
    ['a price sent as a number', () => withKline('o', '101.5'), 'bad_schema', /bad_schema: .*k\.o/],
    [
      'a price written 1e5',
      () => withKline('h', '"1e5"'),
      'bad_schema',
      /bad_schema: .*k\.h: expected a decimal string/,
    ],
    ['a missing open time', () => good().replace(/"t":\d+,/, ''), 'bad_schema', /bad_schema: .*k\.t/],
    [
      'high below low',
      () => withKline('h', '"50.00000000"'),
      'invalid_candle',
      /invalid_candle: high_below_low: high 50 < low/,
    ],
    [
      'a negative volume',
      () => withKline('v', '"-3.00000000"'),
      'invalid_candle',
      /invalid_candle: negative_volume/,
    ],
    [
      'an unknown interval',
      () =>
        good()
          .replace(/"i":"5m"/, '"i":"7m"')
          .replace('@kline_5m', '@kline_7m'),
      'unknown_interval',
      /unknown_interval: interval "7m"/,
    ],
    [
      "odd characters in the symbol (BTC'USDT)",
      () => good().replace(/"BTCUSDT"/g, '"BTC\'USDT"'),
      'invalid_symbol',
      /invalid_symbol: symbol "BTC'USDT"/,
    ],
    [
      'a symbol never subscribed (ZZZUSDT)',
      () =>
        good()
          .replace(/BTCUSDT/g, 'ZZZUSDT')
          .replace('btcusdt@', 'zzzusdt@'),
      'unknown_stream',
      /unknown_stream: not subscribed to zzzusdt@kline_5m/,
    ],
    [
      'a stream name that does not match the payload',
      () => good().replace('btcusdt@kline_5m', 'btcusdt@kline_1h'),
      'stream_mismatch',
      /stream_mismatch: stream "btcusdt@kline_1h" carries btcusdt@kline_5m/,
    ],
    [
      'a kline in progress a year ahead',
      () => FakeExchange.klineFrame('BTCUSDT', '5m', IN_PROGRESS + YEAR, { closed: false, eventTime: NOW }),
      'future_candle',
      /future_candle: BTCUSDT 5m opens at 2026-06-02/,
    ],
  ])(
    '%s: refused with its reason, counted, recorded; klines unchanged',
    async (_what, frame, code, reason) => {
      rig = await collectorRig({ now: NOW });
      await rig.collector.settled();
      const before = await rows<Record<string, unknown>>(
        rig.db,
        `SELECT * FROM ${rig.db.tables.klines} ORDER BY ts`,
      );
      await refuse(rig, frame(), code);
      const events = await rejectedEvents(rig);
      expect(events).toHaveLength(1);
      expect(Number(events[0]!.count)).toBe(1);
      expect(events[0]!.detail).toMatch(reason);
      expect(await rows(rig.db, `SELECT * FROM ${rig.db.tables.klines} ORDER BY ts`)).toEqual(before);
    },
  );

  it('a closed candle sent twice is stored once and counted as a duplicate', async () => {
    rig = await collectorRig({ now: NOW });
    await rig.collector.settled();
    // The gap fill has stored LAST_CLOSED already: the stream's copy repeats it.
    rig.exchange.broadcast(good());
    rig.exchange.broadcast(good());
    await waitFor(
      'two duplicates',
      async () => (await counterValue(rig!.collector.metrics.duplicates)) === 2,
    );
    await rig.collector.settled();
    const stored = await rows<{ n: number }>(
      rig.db,
      `SELECT count() n FROM ${rig.db.tables.klines} WHERE ts = $1`,
      [new Date(LAST_CLOSED).toISOString()],
    );
    expect(Number(stored[0]!.n)).toBe(1);
    expect(await rejectedEvents(rig)).toEqual([]);
  });
});

describe('a future candle whose event time is forged too', () => {
  it('is refused against the exchange REST clock: future_candle, recorded, not stored', async () => {
    rig = await collectorRig({ now: NOW });
    await rig.collector.settled();
    const future = IN_PROGRESS + YEAR;
    rig.exchange.broadcast(
      FakeExchange.klineFrame('BTCUSDT', '5m', future, { closed: true, eventTime: future + STEP }),
    );
    await waitFor(
      'a future_candle refusal',
      async () => (await counterValue(rig!.collector.metrics.rejected, { reason: 'future_candle' })) === 1,
    );
    await rig.collector.settled();
    const stored = await rows<{ n: number }>(
      rig.db,
      `SELECT count() n FROM ${rig.db.tables.klines} WHERE ts > $1`,
      [new Date(NOW).toISOString()],
    );
    expect(Number(stored[0]!.n)).toBe(0);
    expect((await rejectedEvents(rig)).map((e) => e.detail).join('\n')).toMatch(
      /future_candle: BTCUSDT 5m opens at 2026-06-02.*\(exchange REST clock\)/,
    );
    expect(rig.collector.lastClosed('BTCUSDT', '5m')).toBe(LAST_CLOSED);
  });

  it('a true close after skipped ones is confirmed, stored, and the skipped ones are filled', async () => {
    // The exchange's clock moves on by three candles; the stream only delivers the newest close.
    let now = NOW;
    const exchange = await FakeExchange.start({ now: () => now });
    rig = await collectorRig({ now: NOW, exchange });
    await rig.collector.settled();
    now = NOW + 3 * STEP;
    const newest = LAST_CLOSED + 3 * STEP;
    exchange.broadcast(FakeExchange.klineFrame('BTCUSDT', '5m', newest, { closed: true, eventTime: now }));
    await waitFor('the newest close', () => rig!.collector.lastClosed('BTCUSDT', '5m') === newest);
    await rig.collector.settled();
    const stored = await rows<{ ts: number }>(
      rig.db,
      `SELECT ts FROM ${rig.db.tables.klines} WHERE ts > $1 AND closed ORDER BY ts`,
      [new Date(LAST_CLOSED).toISOString()],
    );
    expect(stored.map((r) => r.ts)).toEqual([1, 2, 3].map((i) => LAST_CLOSED + i * STEP));
    expect(await rejectedEvents(rig)).toEqual([]);
  });
});
