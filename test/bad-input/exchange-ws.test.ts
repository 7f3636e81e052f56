import { INTERVAL_MS } from '@regime/candles';
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
