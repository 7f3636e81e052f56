import { BinanceRest } from '@regime/binance';
import { INTERVAL_MS } from '@regime/candles';
import {
  type BackfillSummary,
  PeriodAfterClockError,
  questdbStore,
  runBackfill,
} from '@regime/kline-backfill';
import type { QuestDb } from '@regime/questdb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { dropDb, freshDb, rows } from '../src/collector-harness.ts';
import { FakeExchange, type RestRow } from '../src/fake-exchange.ts';

/**
 * Bad REST input through the backfill into a real QuestDB (own tables): an invalid row is skipped,
 * listed in the summary and recorded as `rejected` in pipeline_events, while the good rows of its
 * page are stored; nothing invalid reaches klines.
 */

const STEP = INTERVAL_MS['5m'];
const NOW = Date.UTC(2025, 5, 2, 12, 0, 30);
const FROM = Date.UTC(2025, 5, 2, 10, 0);
const TO = Date.UTC(2025, 5, 2, 12, 0);
const SLOTS = (TO - FROM) / STEP; // 24
const BAD_SLOT = FROM + 7 * STEP;

let exchange: FakeExchange;
let db: QuestDb;

beforeAll(async () => {
  exchange = await FakeExchange.start({ now: () => NOW });
});
afterAll(async () => {
  await exchange?.close();
});
beforeEach(async () => {
  await dropDb(db);
  db = await freshDb();
  exchange.rowOverrides.clear();
  exchange.cannedKlines.length = 0;
  return async () => {
    await dropDb(db);
    db = undefined as unknown as QuestDb;
  };
});

function backfill(symbol = 'BTCUSDT', opts: { from?: number; to?: number; strict?: boolean } = {}) {
  return runBackfill(
    {
      symbols: [symbol],
      intervals: ['5m'],
      from: opts.from ?? FROM,
      to: opts.to ?? TO,
      refusePeriodAfterClock: opts.strict,
    },
    {
      source: new BinanceRest({
        baseUrl: exchange.restUrl,
        backoff: { minMs: 10, maxMs: 50 },
        maxRetries: 1,
      }),
      store: questdbStore(db),
    },
  );
}

async function storedTimes(): Promise<number[]> {
  const found = await rows<{ ts: number }>(db, `SELECT ts FROM ${db.tables.klines} ORDER BY ts`);
  return found.map((r) => r.ts);
}

async function rejectedEvents(): Promise<
  { count: number; detail: string; symbol: string; exchange_ts: number }[]
> {
  return rows(
    db,
    `SELECT count, detail, symbol, exchange_ts FROM ${db.tables.events} WHERE kind = 'rejected'`,
  );
}

function withField(index: number, value: unknown): RestRow {
  const row = FakeExchange.row('BTCUSDT', '5m', BAD_SLOT);
  row[index] = value;
  return row;
}

const allSlotsBut = (skip: number[]) =>
  Array.from({ length: SLOTS }, (_, i) => FROM + i * STEP).filter((t) => !skip.includes(t));

describe('one invalid REST row costs one candle, not the series', () => {
  it.each([
    ['a NaN close', withField(4, 'NaN'), 'bad_row', /field close must be a decimal string, got "NaN"/],
    ['high below low', withField(2, '50.00000000'), 'high_below_low', /high 50 < low/],
    ['a negative volume', withField(5, '-3.00000000'), 'negative_volume', /volume -3 < 0/],
    ['a price sent as a JSON number', withField(1, 101.5), 'bad_row', /field open must be a decimal string/],
    ['a price written 1e5', withField(3, '1e5'), 'bad_row', /field low must be a decimal string, got "1e5"/],
    ['a close time that is not open + 5m − 1', withField(6, BAD_SLOT + 1000), 'bad_close_time', /close time/],
  ])(
    '%s: skipped, in the summary and in pipeline_events; the rest of the page stored',
    async (_what, row, problem, detail) => {
      exchange.rowOverrides.set(`BTCUSDT 5m ${BAD_SLOT}`, row);
      const summary: BackfillSummary = await backfill();
      const series = summary.series[0]!;
      expect(summary.ok).toBe(true);
      expect(series.error).toBeUndefined();
      expect(series.rejected).toEqual([
        { openTime: BAD_SLOT, problem, detail: expect.stringMatching(detail) },
      ]);
      expect(series.gaps).toEqual([]);
      expect(series.written).toBe(SLOTS - 1);
      expect(await storedTimes()).toEqual(allSlotsBut([BAD_SLOT]));
      const events = await rejectedEvents();
      expect(events).toHaveLength(1);
      expect(Number(events[0]!.count)).toBe(1);
      expect(events[0]!.detail).toMatch(new RegExp(`skipped, first at 2025-06-02T10:35:00Z: ${problem}`));
      // ts is the wall clock; the exchange's clock of the run is beside it.
      expect(events[0]!.exchange_ts).toBe(NOW);
    },
  );

  it('a row that is not an array: refused as bad_row without an open time, the rest stored', async () => {
    exchange.rowOverrides.set(`BTCUSDT 5m ${BAD_SLOT}`, { open: 1 } as unknown as RestRow);
    const series = (await backfill()).series[0]!;
    expect(series.error).toBeUndefined();
    expect(series.rejected).toEqual([
      { problem: 'bad_row', detail: expect.stringMatching(/must be an array of 12 values/) },
    ]);
    // The exchange sent nothing usable for that slot: it is also a gap.
    expect(series.gaps).toEqual([{ from: BAD_SLOT, to: BAD_SLOT + STEP, count: 1 }]);
    expect(await storedTimes()).toEqual(allSlotsBut([BAD_SLOT]));
    expect((await rejectedEvents())[0]!.detail).toMatch(/first \(open time unreadable\): bad_row/);
  });

  it('a duplicated open time (out of order): the repeat is ignored, the slot it replaced is a gap', async () => {
    // The slot after BAD_SLOT carries BAD_SLOT's candle again.
    exchange.rowOverrides.set(`BTCUSDT 5m ${BAD_SLOT + STEP}`, FakeExchange.row('BTCUSDT', '5m', BAD_SLOT));
    const series = (await backfill()).series[0]!;
    expect(series.error).toBeUndefined();
    expect(series.duplicates).toBe(1);
    expect(series.gaps).toEqual([{ from: BAD_SLOT + STEP, to: BAD_SLOT + 2 * STEP, count: 1 }]);
    expect(await storedTimes()).toEqual(allSlotsBut([BAD_SLOT + STEP]));
  });

  it('a row dated a year ahead inside a page: not stored (REST bounds by the exchange clock)', async () => {
    const ahead = BAD_SLOT + 365 * 86_400_000;
    exchange.rowOverrides.set(`BTCUSDT 5m ${BAD_SLOT}`, FakeExchange.row('BTCUSDT', '5m', ahead));
    const series = (await backfill()).series[0]!;
    expect(series.error).toBeUndefined();
    expect(await storedTimes()).toEqual(allSlotsBut([BAD_SLOT]));
    expect(series.gaps).toEqual([{ from: BAD_SLOT, to: BAD_SLOT + STEP, count: 1 }]);
  });
});

describe('symbols and periods the exchange cannot serve', () => {
  it('an unknown symbol fails its series with the exchange reason; nothing stored', async () => {
    const summary = await backfill('ZZZUSDT');
    expect(summary.ok).toBe(false);
    expect(summary.series[0]!.error).toMatch(/unknown symbol ZZZUSDT: .*code -1121: Invalid symbol\./);
    expect(await storedTimes()).toEqual([]);
  });

  it('a symbol with odd characters is refused before any request', async () => {
    const before = exchange.requests.length;
    const summary = await backfill("BTC'USDT");
    expect(summary.series[0]!.error).toMatch(/invalid symbol "BTC'USDT"/);
    expect(exchange.requests.slice(before).filter((r) => r.path === '/api/v3/klines')).toEqual([]);
    expect(await storedTimes()).toEqual([]);
  });

  it('a period after the exchange clock is an error, not an empty success', async () => {
    const before = exchange.requests.length;
    const from = NOW + 86_400_000;
    await expect(backfill('BTCUSDT', { from, to: from + 86_400_000, strict: true })).rejects.toThrow(
      PeriodAfterClockError,
    );
    await expect(backfill('BTCUSDT', { from, to: from + 86_400_000, strict: true })).rejects.toThrow(
      /the period starts at 2025-06-03T12:00:30Z, after the exchange clock \(2025-06-02T12:00:30Z\)/,
    );
    expect(exchange.requests.slice(before).filter((r) => r.path === '/api/v3/klines')).toEqual([]);
    expect(await storedTimes()).toEqual([]);
  });
});

describe('429 with a Retry-After header the client cannot use', () => {
  const rateLimited = (retryAfter: string) => ({
    status: 429,
    headers: { 'retry-after': retryAfter },
    body: '{"code":-1003,"msg":"Too many requests."}',
  });

  /** Wall ms between consecutive /api/v3/klines requests from `since` on. */
  function klinesGaps(since: number): number[] {
    const times = exchange.requests
      .slice(since)
      .filter((r) => r.path === '/api/v3/klines')
      .map((r) => r.at);
    return times.slice(1).map((t, i) => t - times[i]!);
  }

  function rest() {
    return new BinanceRest({
      baseUrl: exchange.restUrl,
      backoff: { minMs: 200, maxMs: 5000 },
      maxRetries: 5,
    });
  }

  it.each([['abc'], ['-5'], ['1.5'], ['soon'], ['Thu, 99 Foo 2025 12:00:00 GMT']])(
    'Retry-After %j is treated as absent: exponential backoff, then every candle stored',
    async (header) => {
      exchange.cannedKlines.push(rateLimited(header), rateLimited(header), rateLimited(header));
      const since = exchange.requests.length;
      const summary = await runBackfill(
        { symbols: ['BTCUSDT'], intervals: ['5m'], from: FROM, to: TO },
        { source: rest(), store: questdbStore(db) },
      );
      expect(summary.ok).toBe(true);
      // Equal jitter: attempt n waits at least half of 200 ms × 2^n (100, 200, 400 ms).
      const gaps = klinesGaps(since);
      expect(gaps).toHaveLength(3);
      expect(gaps[0]).toBeGreaterThanOrEqual(95);
      expect(gaps[1]).toBeGreaterThanOrEqual(195);
      expect(gaps[2]).toBeGreaterThanOrEqual(395);
      expect(await storedTimes()).toEqual(allSlotsBut([]));
    },
  );

  it('Retry-After as an HTTP-date is waited for', async () => {
    // toUTCString drops the milliseconds: the date is between 1 and 2 s ahead of now. The client must
    // not ask again before that date, however long the first request took (a loaded machine).
    const retryAt = new Date(Date.now() + 2000).toUTCString();
    exchange.cannedKlines.push(rateLimited(retryAt));
    const since = exchange.requests.length;
    await runBackfill(
      { symbols: ['BTCUSDT'], intervals: ['5m'], from: FROM, to: TO },
      { source: rest(), store: questdbStore(db) },
    );
    const klines = exchange.requests.slice(since).filter((r) => r.path === '/api/v3/klines');
    expect(klines.length).toBeGreaterThanOrEqual(2);
    // A few ms of slack for timer resolution; the exponential backoff alone (first step 500 ms) would
    // ask at least half a second too early.
    expect(klines[1]!.at).toBeGreaterThanOrEqual(Date.parse(retryAt) - 20);
    expect(klinesGaps(since)[0]).toBeGreaterThan(0);
    expect(await storedTimes()).toEqual(allSlotsBut([]));
  });

  it('Retry-After in seconds is waited for', async () => {
    exchange.cannedKlines.push(rateLimited('1'));
    const since = exchange.requests.length;
    await runBackfill(
      { symbols: ['BTCUSDT'], intervals: ['5m'], from: FROM, to: TO },
      { source: rest(), store: questdbStore(db) },
    );
    expect(klinesGaps(since)[0]).toBeGreaterThanOrEqual(995);
  });
});
