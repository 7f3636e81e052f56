import { type Candle, closesAt, INTERVAL_MS, INTERVALS, type Interval } from '@regime/candles';
import { aggregate, round8 } from './aggregate.ts';
import type { CandleStore } from './candle-store.ts';

/** Decimal places used by a number's shortest representation ("42397.23" → 2). */
function decimalsOf(x: number): number {
  const s = String(x);
  const dot = s.indexOf('.');
  return dot < 0 || s.includes('e') ? 0 : s.length - dot - 1;
}

function roundTo(x: number, decimals: number): number {
  return Number(x.toFixed(decimals));
}

/**
 * A deterministic price path inside one candle, used when no finer candles exist:
 * open → low → high → close for an up candle, open → high → low → close for a down candle,
 * walked at constant speed (time spent on a leg ∝ its price distance). At fraction `f` of the
 * candle's duration it returns the candle as it stood then: close = the price reached, high/low =
 * the extremes visited so far, volume (and trade details) = the final ones × f. At f → 1 it meets
 * the final candle, and it is always a sound candle (low ≤ open, close ≤ high, prices > 0).
 */
export function interpolate(final: Candle, f: number): Candle {
  const up = final.close >= final.open;
  const path = up
    ? [final.open, final.low, final.high, final.close]
    : [final.open, final.high, final.low, final.close];
  const total = Math.abs(path[1]! - path[0]!) + Math.abs(path[2]! - path[1]!) + Math.abs(path[3]! - path[2]!);
  let travelled = f * total;
  let high = final.open;
  let low = final.open;
  let price = final.open;
  for (let leg = 0; leg < 3; leg++) {
    const from = path[leg]!;
    const to = path[leg + 1]!;
    const length = Math.abs(to - from);
    if (travelled >= length) {
      price = to;
      travelled -= length;
    } else {
      price = from + Math.sign(to - from) * travelled;
      travelled = 0;
    }
    high = Math.max(high, price);
    low = Math.min(low, price);
    if (travelled === 0) break;
  }
  const decimals = Math.max(...[final.open, final.high, final.low, final.close].map(decimalsOf));
  const close = roundTo(price, decimals);
  return withScaledDetails(
    final,
    {
      ...final,
      high: Math.max(roundTo(high, decimals), close),
      low: Math.min(roundTo(low, decimals), close),
      close,
      volume: roundTo(final.volume * f, Math.max(decimalsOf(final.volume), 1)),
      closed: false,
    },
    f,
  );
}

/** Trade details of a partial candle: the final ones scaled by the share of volume traded so far. */
function withScaledDetails(final: Candle, partial: Candle, timeFraction: number): Candle {
  if (final.trades === undefined) {
    delete partial.quoteVolume;
    delete partial.trades;
    delete partial.takerBuyBaseVolume;
    delete partial.takerBuyQuoteVolume;
    return partial;
  }
  const share = final.volume > 0 ? Math.min(1, partial.volume / final.volume) : timeFraction;
  partial.quoteVolume = round8(final.quoteVolume! * share);
  partial.trades = Math.round(final.trades * share);
  if (partial.volume > 0) partial.trades = Math.max(1, partial.trades);
  partial.takerBuyBaseVolume = round8(final.takerBuyBaseVolume! * share);
  partial.takerBuyQuoteVolume = round8(final.takerBuyQuoteVolume! * share);
  return partial;
}

function sameValues(a: Candle, b: Candle): boolean {
  return (
    a.open === b.open &&
    a.high === b.high &&
    a.low === b.low &&
    a.close === b.close &&
    a.volume === round8(b.volume)
  );
}

/**
 * Builds the in-progress version of a candle as of instant t, from the finest candles the data has
 * inside it (1m, then 5m), else by `interpolate`. A finer series is used only when it covers the
 * whole candle and aggregates exactly to the final candle, so the updates always converge on the
 * final values. Deterministic: the same (candle, t) always gives the same partial candle.
 */
export class PartialBuilder {
  private readonly finerChoice = new Map<string, Interval | null>();

  constructor(private readonly store: CandleStore) {}

  asOf(symbol: string, interval: Interval, final: Candle, t: number): Candle {
    if (t >= closesAt(interval, final.openTime)) return final;
    const f = Math.max(0, (t - final.openTime) / INTERVAL_MS[interval]);
    const finer = this.finerSource(symbol, interval, final);
    if (finer === null) return interpolate(final, f);
    const kids = this.store.range(symbol, finer, final.openTime, Math.min(t + 1, final.closeTime + 1));
    const parts: Candle[] = [];
    for (const kid of kids) {
      parts.push(closesAt(finer, kid.openTime) <= t ? kid : this.asOf(symbol, finer, kid, t));
    }
    const [built] = aggregate(parts, interval);
    if (built === undefined) return interpolate(final, 0);
    return withScaledDetails(final, { ...built, closed: false }, f);
  }

  private finerSource(symbol: string, interval: Interval, final: Candle): Interval | null {
    const key = `${symbol}/${interval}/${final.openTime}`;
    const known = this.finerChoice.get(key);
    if (known !== undefined) return known;
    let choice: Interval | null = null;
    for (const finer of INTERVALS) {
      if (INTERVAL_MS[finer] >= INTERVAL_MS[interval]) break;
      const kids = this.store.range(symbol, finer, final.openTime, final.closeTime + 1);
      if (kids.length !== INTERVAL_MS[interval] / INTERVAL_MS[finer]) continue;
      const [whole] = aggregate(kids, interval);
      if (whole && sameValues(final, whole)) {
        choice = finer;
        break;
      }
    }
    if (this.finerChoice.size > 50_000) this.finerChoice.clear();
    this.finerChoice.set(key, choice);
    return choice;
  }
}
