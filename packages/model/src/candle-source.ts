import { readKlineFiles } from '@regime/candles/files';
import type { CandleHistory } from '@regime/features';
import { QuestDb } from '@regime/questdb';
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
      const read = (interval: '5m' | '15m' | '1h') => readKlineFiles(dir, symbol, interval, range);
      return { '5m': read('5m'), '15m': read('15m'), '1h': read('1h') };
    },
    async close() {},
  };
}

export async function questDbCandleSource(config: { httpUrl: string; pgUrl: string }): Promise<CandleSource> {
  const db = await QuestDb.connect(config);
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
