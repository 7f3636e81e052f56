import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Candle, closeTimeOf, INTERVAL_MS, type Interval, seededRandom } from '@regime/candles';
import { hasSharedKlines, readKlineFiles, sharedKlinesDir, sharedReferenceDir } from '@regime/candles/files';
import { aggregateCandles, type CandleHistory } from '../src/index.ts';

export const DAY = 86_400_000;
export const MIN = 60_000;

/** Reads a reference table: header names → column of numbers (NaN for empty cells). */
export function readTable(name: string): Record<string, number[]> | undefined {
  const file = join(sharedReferenceDir(), name);
  if (!existsSync(file)) return undefined;
  const lines = readFileSync(file, 'utf8').trim().split(/\r?\n/);
  const header = lines[0]!.split(',');
  const columns: Record<string, number[]> = {};
  for (const h of header) columns[h] = [];
  for (const line of lines.slice(1)) {
    const cells = line.split(',');
    header.forEach((h, k) => {
      const cell = cells[k]?.trim() ?? '';
      columns[h]!.push(cell === '' ? Number.NaN : Number(cell));
    });
  }
  return columns;
}

export function hasReferenceTables(): boolean {
  return existsSync(sharedReferenceDir());
}

/** |a − b| ≤ tol·max(|a|, |b|), both NaN counting as equal. */
export function relClose(a: number, b: number, tol: number): boolean {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b);
  return Math.abs(a - b) <= tol * Math.max(Math.abs(a), Math.abs(b));
}

export const realDataAvailable = hasSharedKlines();

/** Real BTCUSDT candles: 5m and 15m over [from, to), 1h from `hourlyLead` earlier (1h warm-up is long). */
export function realHistory(from: number, to: number, hourlyLead = 20 * DAY): CandleHistory {
  const dir = sharedKlinesDir();
  return {
    '5m': readKlineFiles(dir, 'BTCUSDT', '5m', { from, to }),
    '15m': readKlineFiles(dir, 'BTCUSDT', '15m', { from, to }),
    '1h': readKlineFiles(dir, 'BTCUSDT', '1h', { from: from - hourlyLead, to }),
  };
}

/** Deterministic pseudo-random numbers (mulberry32), so generated data is reproducible. */
export const random = seededRandom;

/** A random-walk 5m series from `start` (hour-aligned), aggregated into 15m and 1h like the exchange does. */
export function syntheticHistory(seed: number, start: number, count5m: number): CandleHistory {
  const rnd = random(seed);
  const fives: Candle[] = [];
  let price = 20_000 + rnd() * 50_000;
  for (let i = 0; i < count5m; i++) {
    const openTime = start + i * INTERVAL_MS['5m'];
    const open = price;
    const close = open * Math.exp((rnd() - 0.5) * 0.01);
    const high = Math.max(open, close) * (1 + rnd() * 0.003);
    const low = Math.min(open, close) * (1 - rnd() * 0.003);
    fives.push({
      openTime,
      open,
      high,
      low,
      close,
      volume: rnd() * 100,
      closeTime: closeTimeOf('5m', openTime),
      closed: true,
    });
    price = close;
  }
  return { '5m': fives, '15m': aggregateAll(fives, '15m'), '1h': aggregateAll(fives, '1h') };
}

/** Full periods of `interval` built from consecutive 5m candles. */
export function aggregateAll(fives: readonly Candle[], interval: Interval): Candle[] {
  const per = INTERVAL_MS[interval] / INTERVAL_MS['5m'];
  const out: Candle[] = [];
  for (let i = 0; i + per <= fives.length; i += per)
    out.push(aggregateCandles(fives.slice(i, i + per), interval));
  return out;
}

/** Candles of `history` closed at `asOf` (what a careful caller would pass). */
export function cutAt(history: CandleHistory, asOf: number): CandleHistory {
  const cut = (interval: Interval, list: readonly Candle[]) =>
    list.filter((c) => c.openTime + INTERVAL_MS[interval] <= asOf);
  return {
    '5m': cut('5m', history['5m']),
    '15m': cut('15m', history['15m']),
    '1h': cut('1h', history['1h']),
  };
}
