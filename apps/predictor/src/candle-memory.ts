import type { BinanceRest } from '@regime/binance';
import { type Candle, INTERVAL_MS } from '@regime/candles';
import { type CandleSeries, FEATURE_INTERVALS, type FeatureInterval } from '@regime/inference';

const PAGE = 1000;

/**
 * The console mode's candle store: the recent candles of each symbol and feature interval, in
 * memory, fetched from the exchange's REST API and kept up to date by re-fetching the newest few.
 * A re-fetched candle replaces the stored one with the same open time (in-progress → closed).
 */
export class CandleMemory {
  private readonly series = new Map<string, CandleSeries>();

  constructor(
    private readonly rest: BinanceRest,
    private readonly keep: Record<FeatureInterval, number>,
  ) {}

  /** Loads the newest `keep[interval] + 1` candles of every interval for the symbol. */
  async load(symbol: string): Promise<void> {
    const series = { '5m': [], '15m': [], '1h': [] } as CandleSeries;
    for (const interval of FEATURE_INTERVALS) {
      const want = this.keep[interval] + 1;
      let endTime: number | undefined;
      const pages: Candle[][] = [];
      for (let got = 0; got < want; ) {
        const limit = Math.min(PAGE, want - got);
        const page = await this.rest.klines({ symbol, interval, limit, ...(endTime ? { endTime } : {}) });
        if (page.length === 0) break;
        pages.unshift(page);
        got += page.length;
        endTime = page[0]!.openTime - INTERVAL_MS[interval];
        if (page.length < limit) break;
      }
      series[interval] = pages.flat();
    }
    this.series.set(symbol, series);
  }

  /** Fetches the newest candles since the last stored one and merges them. */
  async refresh(symbol: string): Promise<void> {
    const series = this.series.get(symbol);
    if (!series) return this.load(symbol);
    for (const interval of FEATURE_INTERVALS) {
      const stored = series[interval];
      const last = stored[stored.length - 1];
      if (!last) {
        await this.load(symbol);
        return;
      }
      // From the newest stored candle on: it may have been in progress when fetched.
      const fresh = await this.rest.klines({ symbol, interval, startTime: last.openTime, limit: PAGE });
      series[interval] = merge(stored, fresh, this.keep[interval] + 1);
    }
  }

  get(symbol: string): CandleSeries {
    const series = this.series.get(symbol);
    if (!series) throw new Error(`no candles loaded for ${symbol}`);
    return series;
  }
}

/** Stored candles updated with fresh ones (same open time → replaced), the newest `keep` kept. */
export function merge(stored: readonly Candle[], fresh: readonly Candle[], keep: number): Candle[] {
  const byOpen = new Map<number, Candle>();
  for (const c of stored) byOpen.set(c.openTime, c);
  for (const c of fresh) byOpen.set(c.openTime, c);
  return [...byOpen.values()].sort((a, b) => a.openTime - b.openTime).slice(-keep);
}
