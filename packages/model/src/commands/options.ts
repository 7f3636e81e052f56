import { resolve } from 'node:path';
import { parseSymbol } from '@regime/candles';
import { sharedKlinesDir } from '@regime/candles/files';
import { questDbConfigFromEnv } from '@regime/questdb';
import { createLogger } from '@regime/service';
import { type Command, InvalidArgumentError } from 'commander';
import { type CandleSource, fileCandleSource, questDbCandleSource } from '../candle-source.ts';
import type { Period } from '../config.ts';
import type { SymbolHistory } from '../dataset.ts';

export const logger = createLogger('regime-model');

export function parseDate(value: string): number {
  const t = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value);
  if (Number.isNaN(t)) throw new InvalidArgumentError(`"${value}" is not a date (YYYY-MM-DD or ISO 8601)`);
  return t;
}

export function parseSymbols(value: string): string[] {
  try {
    return value.split(',').map((s) => parseSymbol(s));
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
}

export function parseStride(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0 || n % 5 !== 0)
    throw new InvalidArgumentError('expected a positive multiple of 5');
  return n;
}

export interface SourceOptions {
  data?: string;
  questdb?: boolean;
  symbols?: string[];
  from?: number;
  to?: number;
}

export async function openSource(opts: SourceOptions): Promise<CandleSource> {
  if (opts.questdb && opts.data) throw new Error('give either --data or --questdb, not both');
  if (opts.questdb) return questDbCandleSource(questDbConfigFromEnv());
  return fileCandleSource(resolve(opts.data ?? sharedKlinesDir()));
}

export async function loadHistories(
  source: CandleSource,
  symbols: readonly string[],
  range: Period,
): Promise<SymbolHistory[]> {
  const out: SymbolHistory[] = [];
  for (const symbol of symbols) {
    const history = await source.history(symbol, range);
    logger.info(
      { symbol, '5m': history['5m'].length, '15m': history['15m'].length, '1h': history['1h'].length },
      `${symbol}: read ${history['5m'].length} 5m, ${history['15m'].length} 15m, ${history['1h'].length} 1h candles from ${source.description}`,
    );
    if (history['5m'].length === 0) throw new Error(`no 5m candles for ${symbol} in ${source.description}`);
    out.push({ symbol, history });
  }
  return out;
}

export const iso = (t: number) => new Date(t).toISOString();

export function withSourceOptions(command: Command): Command {
  return command
    .option(
      '--data <dir>',
      'read candles from a folder in the ../shared/data/klines layout (default: ../shared/data/klines)',
    )
    .option('--questdb', 'read candles from QuestDB (QUESTDB_PG_URL, QUESTDB_HTTP)')
    .option('--symbols <list>', 'comma-separated symbols, e.g. BTCUSDT,ETHUSDT', parseSymbols)
    .option('--from <date>', 'first as-of instant (YYYY-MM-DD or ISO, UTC)', parseDate)
    .option('--to <date>', 'end of the period, exclusive (YYYY-MM-DD or ISO, UTC)', parseDate);
}
