import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import type { Candle } from './candle.ts';
import { closeTimeOf, type Interval } from './interval.ts';

/**
 * Reads candles in the layout of ../shared/data/klines:
 *   SYMBOL/INTERVAL/SYMBOL-INTERVAL-YYYY-MM.csv.gz (gzip CSV with a header row).
 * 5m/1m files carry open_time,open,high,low,close,volume; 15m/1h files carry the 12 Binance fields.
 * legacy-2021/ sub-folders are never read: their values disagree with today's exchange data.
 */

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/** ../shared/data/klines beside the checkout, or $SHARED_KLINES_DIR when set. */
export function sharedKlinesDir(): string {
  return process.env.SHARED_KLINES_DIR ?? resolve(repoRoot, '../shared/data/klines');
}

/** ../shared/reference/indicator-vectors beside the checkout. */
export function sharedReferenceDir(): string {
  return resolve(repoRoot, '../shared/reference/indicator-vectors');
}

export function hasSharedKlines(): boolean {
  return existsSync(sharedKlinesDir());
}

export interface ReadRange {
  /** Inclusive lower bound on open time (epoch ms). */
  from?: number;
  /** Exclusive upper bound on open time (epoch ms). */
  to?: number;
}

/** Month files for one series, sorted by name (= by month). */
export function listKlineFiles(dataDir: string, symbol: string, interval: Interval): string[] {
  const dir = join(dataDir, symbol, interval);
  if (!existsSync(dir)) return [];
  const pattern = new RegExp(`^${symbol}-${interval}-(\\d{4})-(\\d{2})\\.csv\\.gz$`);
  return readdirSync(dir)
    .filter((name) => pattern.test(name))
    .sort()
    .map((name) => join(dir, name));
}

function monthOf(file: string): { start: number; end: number } {
  const m = /-(\d{4})-(\d{2})\.csv\.gz$/.exec(file)!;
  const year = Number(m[1]);
  const month = Number(m[2]) - 1;
  return { start: Date.UTC(year, month, 1), end: Date.UTC(year, month + 1, 1) };
}

/** Parses one gzip CSV month file. Throws with the file and line on a malformed row. */
export function parseKlineCsv(text: string, interval: Interval, source: string): Candle[] {
  const lines = text.split('\n');
  const out: Candle[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.length === 0) continue;
    const f = line.split(',');
    const openTime = Number(f[0]);
    const candle: Candle = {
      openTime,
      open: Number(f[1]),
      high: Number(f[2]),
      low: Number(f[3]),
      close: Number(f[4]),
      volume: Number(f[5]),
      closeTime: closeTimeOf(interval, openTime),
      closed: true,
    };
    if (f.length >= 11) {
      candle.quoteVolume = Number(f[7]);
      candle.trades = Number(f[8]);
      candle.takerBuyBaseVolume = Number(f[9]);
      candle.takerBuyQuoteVolume = Number(f[10]);
    }
    if (!Number.isFinite(openTime) || !Number.isFinite(candle.close)) {
      throw new Error(`${source}:${i + 1}: malformed kline row "${line}"`);
    }
    out.push(candle);
  }
  return out;
}

/** All candles of one series with open time in [from, to), sorted by open time. */
export function readKlineFiles(
  dataDir: string,
  symbol: string,
  interval: Interval,
  range: ReadRange = {},
): Candle[] {
  const from = range.from ?? Number.NEGATIVE_INFINITY;
  const to = range.to ?? Number.POSITIVE_INFINITY;
  const out: Candle[] = [];
  for (const file of listKlineFiles(dataDir, symbol, interval)) {
    const month = monthOf(file);
    if (month.end <= from || month.start >= to) continue;
    const candles = parseKlineCsv(gunzipSync(readFileSync(file)).toString('utf8'), interval, file);
    for (const c of candles) if (c.openTime >= from && c.openTime < to) out.push(c);
  }
  return out;
}
