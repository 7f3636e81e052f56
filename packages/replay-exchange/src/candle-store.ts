import { existsSync, readdirSync } from 'node:fs';
import { type Candle, type Interval, isValidSymbol } from '@regime/candles';
import { listKlineFiles, readKlineFiles } from '@regime/candles/files';
import { aggregate } from './aggregate.ts';

/** First instant of the UTC month containing t. */
export function monthStart(t: number): number {
  const d = new Date(t);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
}

export function nextMonth(m: number): number {
  const d = new Date(m);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
}

function previousMonth(m: number): number {
  const d = new Date(m);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - 1, 1);
}

/** Index of the first candle with openTime >= t. */
function lowerBound(candles: readonly Candle[], t: number): number {
  let lo = 0;
  let hi = candles.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (candles[mid]!.openTime < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Intervals that may be derived from 5m when their own files are missing or have holes. */
const DERIVED_FROM_5M: ReadonlySet<Interval> = new Set(['15m', '1h']);

/**
 * The candles the replay exchange knows, read lazily month by month from the ../shared layout and
 * kept in memory. 15m and 1h come from their own files (which carry Binance's trade details) and,
 * where those files are missing or have holes, are derived from 5m — so the replay serves every
 * candle the real exchange would have for the period the data covers.
 */
export class CandleStore {
  private readonly months = new Map<string, Candle[]>();
  private readonly earliest = new Map<string, number | undefined>();
  private readonly served: ReadonlySet<string>;

  /**
   * `copiesOf` maps a served symbol to the symbol whose files it serves (copies for load tests): a
   * copy reads the same months, so its candles are the same objects, held once however many copies.
   */
  constructor(
    readonly dataDir: string,
    readonly symbols: readonly string[],
    private readonly copiesOf: ReadonlyMap<string, string> = new Map(),
  ) {
    this.served = new Set(symbols);
  }

  hasSymbol(symbol: string): boolean {
    return this.served.has(symbol);
  }

  /** The symbol whose files a served symbol reads (itself unless it is a copy). */
  private source(symbol: string): string {
    return this.copiesOf.get(symbol) ?? symbol;
  }

  /** Number of months loaded (a cheap measure of memory use). */
  get loadedMonths(): number {
    return this.months.size;
  }

  /** Candles with open time in [from, to), sorted. */
  range(symbol: string, interval: Interval, from: number, to: number): Candle[] {
    const out: Candle[] = [];
    for (let m = monthStart(from); m < to; m = nextMonth(m)) {
      const month = this.month(symbol, interval, m);
      for (let i = lowerBound(month, from); i < month.length && month[i]!.openTime < to; i++)
        out.push(month[i]!);
    }
    return out;
  }

  /** The first `limit` candles with open time in [from, to]. */
  first(symbol: string, interval: Interval, from: number, toInclusive: number, limit: number): Candle[] {
    const out: Candle[] = [];
    const earliest = this.earliestMonth(symbol, interval);
    const last = this.latestMonth(symbol, interval);
    if (earliest === undefined || last === undefined) return out;
    for (
      let m = Math.max(monthStart(from), earliest);
      m <= toInclusive && m <= last && out.length < limit;
      m = nextMonth(m)
    ) {
      const month = this.month(symbol, interval, m);
      for (let i = lowerBound(month, from); i < month.length && out.length < limit; i++) {
        if (month[i]!.openTime > toInclusive) break;
        out.push(month[i]!);
      }
    }
    return out;
  }

  /** The last `limit` candles with open time <= toInclusive, in ascending order. */
  last(symbol: string, interval: Interval, toInclusive: number, limit: number): Candle[] {
    const reversed: Candle[] = [];
    const earliest = this.earliestMonth(symbol, interval);
    if (earliest === undefined) return reversed;
    for (let m = monthStart(toInclusive); m >= earliest && reversed.length < limit; m = previousMonth(m)) {
      const month = this.month(symbol, interval, m);
      for (let i = lowerBound(month, toInclusive + 1) - 1; i >= 0 && reversed.length < limit; i--) {
        reversed.push(month[i]!);
      }
    }
    return reversed.reverse();
  }

  get(symbol: string, interval: Interval, openTime: number): Candle | undefined {
    const month = this.month(symbol, interval, monthStart(openTime));
    const c = month[lowerBound(month, openTime)];
    return c?.openTime === openTime ? c : undefined;
  }

  private month(served: string, interval: Interval, m: number): Candle[] {
    if (!this.hasSymbol(served)) return [];
    const symbol = this.source(served);
    const key = `${symbol}/${interval}/${m}`;
    let candles = this.months.get(key);
    if (candles === undefined) {
      candles = this.load(symbol, interval, m);
      this.months.set(key, candles);
    }
    return candles;
  }

  /** One month of a source symbol's candles (`symbol` is never a copy's name here). */
  private load(symbol: string, interval: Interval, m: number): Candle[] {
    const range = { from: m, to: nextMonth(m) };
    const own = readKlineFiles(this.dataDir, symbol, interval, range);
    if (!DERIVED_FROM_5M.has(interval)) return own;
    const derived = aggregate(this.month(symbol, '5m', m), interval);
    if (own.length === 0) return derived;
    const known = new Set(own.map((c) => c.openTime));
    const holes = derived.filter((c) => !known.has(c.openTime));
    return holes.length === 0 ? own : [...own, ...holes].sort((a, b) => a.openTime - b.openTime);
  }

  private files(symbol: string, interval: Interval): string[] {
    const own = listKlineFiles(this.dataDir, symbol, interval);
    return DERIVED_FROM_5M.has(interval) ? [...own, ...listKlineFiles(this.dataDir, symbol, '5m')] : own;
  }

  private bounds(symbol: string, interval: Interval, which: 'first' | 'last'): number | undefined {
    const key = `${which}/${this.source(symbol)}/${interval}`;
    if (!this.earliest.has(key)) {
      const months = this.files(this.source(symbol), interval)
        .map((file) => /-(\d{4})-(\d{2})\.csv\.gz$/.exec(file)!)
        .map((m) => Date.UTC(Number(m[1]), Number(m[2]) - 1, 1))
        .sort((a, b) => a - b);
      this.earliest.set(key, which === 'first' ? months[0] : months.at(-1));
    }
    return this.earliest.get(key);
  }

  earliestMonth(symbol: string, interval: Interval): number | undefined {
    return this.hasSymbol(symbol) ? this.bounds(symbol, interval, 'first') : undefined;
  }

  latestMonth(symbol: string, interval: Interval): number | undefined {
    return this.hasSymbol(symbol) ? this.bounds(symbol, interval, 'last') : undefined;
  }
}

/**
 * Names for `copies` copies of each source symbol: `C001BTCUSDT`, `C002BTCUSDT`, … (valid symbols,
 * the quote asset kept at the end), mapped to their source. Throws when a name would be longer
 * than a symbol may be.
 */
export function copyNames(sources: readonly string[], copies: number): Map<string, string> {
  const width = Math.max(3, String(copies).length);
  const out = new Map<string, string>();
  for (let i = 1; i <= copies; i++) {
    for (const source of sources) {
      const name = `C${String(i).padStart(width, '0')}${source}`;
      if (!isValidSymbol(name))
        throw new Error(
          `copy name "${name}" of ${source} is not a valid symbol (at most 20 letters or digits)`,
        );
      out.set(name, source);
    }
  }
  return out;
}

/** Symbols present in a ../shared-layout data directory (one folder per symbol), sorted. */
export function symbolsIn(dataDir: string): string[] {
  if (!existsSync(dataDir)) return [];
  return readdirSync(dataDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && isValidSymbol(entry.name))
    .map((entry) => entry.name)
    .sort();
}
