import { type Candle, INTERVAL_MS } from '@regime/candles';
import { aggregateCandles, type CandleHistory } from '@regime/features';

function aggregate(candles: readonly Candle[], interval: '15m' | '1h'): Candle[] {
  const ms = INTERVAL_MS[interval];
  const groups = new Map<number, Candle[]>();
  for (const c of candles) {
    const key = Math.floor(c.openTime / ms) * ms;
    const group = groups.get(key);
    if (group) group.push(c);
    else groups.set(key, [c]);
  }
  const per = ms / INTERVAL_MS['5m'];
  // Only complete periods: a period with a missing 5m candle is left out, like a real gap.
  return [...groups.values()].filter((g) => g.length === per).map((g) => aggregateCandles(g, interval));
}

/** 5m candles plus the 15m and 1h candles aggregated from them. */
export function historyFrom5m(m5: readonly Candle[]): CandleHistory {
  return { '5m': m5, '15m': aggregate(m5, '15m'), '1h': aggregate(m5, '1h') };
}
