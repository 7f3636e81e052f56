import type { QuestDb } from '@regime/questdb';
import { type CandleSeries, FEATURE_INTERVALS, type FeatureInterval } from './inputs.ts';

/**
 * The newest candles of each feature interval with open time before T, closed or not: enough for
 * inputsAsOf to pick the warm-up history (count per interval) plus the candle containing T.
 * Three bound-parameter queries, run concurrently.
 */
export async function readRecentCandles(
  db: QuestDb,
  symbol: string,
  asOf: number,
  warmup: Record<FeatureInterval, number>,
): Promise<CandleSeries> {
  const [m5, m15, h1] = await Promise.all(
    FEATURE_INTERVALS.map((interval) => db.readLatestKlines(symbol, interval, warmup[interval] + 1, asOf)),
  );
  return { '5m': m5!, '15m': m15!, '1h': h1! };
}
