import type { Candle } from '@regime/candles';
import { readKlineFiles } from '@regime/candles/files';
import { aggregateSeries, type CandleHistory } from '@regime/features';
import { DEFAULT_TABLES, QuestDb, type TableNames } from '@regime/questdb';
import type { Period } from './config.ts';

/** Where `train` and `evaluate` read candles: a ../shared-layout folder or QuestDB. */
export interface CandleSource {
  readonly description: string;
  /** 5m, 15m and 1h candles of `symbol` with open time in [range.from, range.to), ascending. */
  history(symbol: string, range: Period): Promise<CandleHistory>;
  close(): Promise<void>;
}

export function fileCandleSource(dir: string): CandleSource {
  return {
    description: `files in ${dir}`,
    async history(symbol, range) {
      const m5 = readKlineFiles(dir, symbol, '5m', range);
      const read = (interval: '15m' | '1h') =>
        withEarlierFrom5m(readKlineFiles(dir, symbol, interval, range), m5, interval);
      return { '5m': m5, '15m': read('15m'), '1h': read('1h') };
    },
    async close() {},
  };
}

export async function questDbCandleSource(
  config: { httpUrl: string; pgUrl: string },
  tables: TableNames = DEFAULT_TABLES,
): Promise<CandleSource> {
  const db = await QuestDb.connect(config, tables);
  return {
    description: `QuestDB at ${config.pgUrl.replace(/\/\/[^@]*@/, '//')}`,
    async history(symbol, range) {
      // Only closed candles: training and evaluation never see an in-progress candle.
      const read = (interval: '5m' | '15m' | '1h') =>
        db.readKlines(symbol, interval, range.from, range.to, { closedOnly: true });
      const [m5, m15, h1] = await Promise.all([read('5m'), read('15m'), read('1h')]);
      return { '5m': m5, '15m': m15, '1h': h1 };
    },
    close: () => db.close(),
  };
}

/**
 * The folder's 15m and 1h files may start later than its 5m files (../shared: 15m from 2023-01, 5m
 * from 2022-01). Before the first candle of the interval's own files, the candles are aggregated from
 * 5m (`aggregateSeries` keeps complete periods only, so a missing 5m candle stays a gap); the
 * aggregation matches the exchange's own 15m/1h candles exactly where both exist (PROVENANCE.md).
 */
export function withEarlierFrom5m(own: Candle[], m5: readonly Candle[], interval: '15m' | '1h'): Candle[] {
  const firstOwn = own[0]?.openTime ?? Number.POSITIVE_INFINITY;
  if (m5.length === 0 || m5[0]!.openTime >= firstOwn) return own;
  const earlier = aggregateSeries(
    m5.filter((c) => c.openTime < firstOwn),
    interval,
  );
  return earlier.length === 0 ? own : [...earlier, ...own];
}
