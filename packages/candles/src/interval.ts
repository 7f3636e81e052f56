/** Kline intervals the system understands, as Binance spells them. */
export const INTERVALS = ['1m', '5m', '15m', '1h'] as const;
export type Interval = (typeof INTERVALS)[number];

export const INTERVAL_MS: Readonly<Record<Interval, number>> = {
  '1m': 60_000,
  '5m': 300_000,
  '15m': 900_000,
  '1h': 3_600_000,
};

export function isInterval(value: string): value is Interval {
  return (INTERVALS as readonly string[]).includes(value);
}

export function parseInterval(value: string): Interval {
  if (!isInterval(value)) {
    throw new Error(`unknown interval "${value}": expected one of ${INTERVALS.join(', ')}`);
  }
  return value;
}

/** Open time of the candle of `interval` that contains instant `t` (epoch ms, UTC). */
export function candleOpenAt(interval: Interval, t: number): number {
  const ms = INTERVAL_MS[interval];
  return Math.floor(t / ms) * ms;
}

/** Binance's close_time convention: the last millisecond inside the candle. */
export function closeTimeOf(interval: Interval, openTime: number): number {
  return openTime + INTERVAL_MS[interval] - 1;
}

/** The instant a candle is complete and known: its open time plus its length. */
export function closesAt(interval: Interval, openTime: number): number {
  return openTime + INTERVAL_MS[interval];
}
