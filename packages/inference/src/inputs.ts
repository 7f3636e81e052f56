import { type Candle, candleOpenAt, INTERVAL_MS } from '@regime/candles';

/** official: closed candles only; live: with the candle in progress at T. */
export type PredictionMode = 'official' | 'live';

/** The intervals the features are built from. */
export const FEATURE_INTERVALS = ['5m', '15m', '1h'] as const;
export type FeatureInterval = (typeof FEATURE_INTERVALS)[number];

export type CandleSeries = Record<FeatureInterval, Candle[]>;

/** What one prediction as of T is computed from. */
export interface PredictionInputs {
  /** Closed candles with closesAt <= T, oldest first, at most the warm-up count per interval. */
  history: CandleSeries;
  /** Live mode only: per interval, the candle containing T (opened before T, closing after it). */
  live?: Partial<Record<FeatureInterval, Candle>>;
}

/**
 * The candles for T are not all there (yet): the collector has not written the candle that closes
 * at T, or only its in-progress version. Retrying later is the right reaction.
 */
export class CandlesNotReadyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CandlesNotReadyError';
  }
}

/**
 * Picks the inputs as of T from recent candles of each interval (oldest first, any mix of closed and
 * in-progress rows, e.g. what QuestDB or the REST API returns). Enforces the time conventions:
 * history only holds candles with closesAt <= T, and it must end with the candle closing last
 * before T, closed; in live mode the candle containing T must be present too. Throws
 * CandlesNotReadyError otherwise, so nothing is ever predicted on stale data.
 */
export function inputsAsOf(
  recent: CandleSeries,
  mode: PredictionMode,
  asOf: number,
  warmup: Record<FeatureInterval, number>,
): PredictionInputs {
  const history = {} as CandleSeries;
  const live: Partial<Record<FeatureInterval, Candle>> = {};
  for (const interval of FEATURE_INTERVALS) {
    const ms = INTERVAL_MS[interval];
    const containing = candleOpenAt(interval, asOf);
    const lastClosedOpen = containing === asOf ? asOf - ms : containing - ms;
    const rows = recent[interval];
    const closed: Candle[] = [];
    for (const c of rows) {
      if (c.openTime + ms <= asOf) closed.push(c);
      else if (mode === 'live' && c.openTime === containing && containing < asOf) live[interval] = c;
    }
    const last = closed[closed.length - 1];
    if (!last || last.openTime !== lastClosedOpen) {
      throw new CandlesNotReadyError(
        `${interval} candle opened at ${new Date(lastClosedOpen).toISOString()} is not there yet ` +
          `(newest: ${last ? new Date(last.openTime).toISOString() : 'none'})`,
      );
    }
    const window = closed.slice(-warmup[interval]);
    const open = window.find((c) => !c.closed);
    if (open) {
      throw new CandlesNotReadyError(
        `${interval} candle opened at ${new Date(open.openTime).toISOString()} is not closed yet`,
      );
    }
    if (mode === 'live' && containing < asOf && !live[interval]) {
      throw new CandlesNotReadyError(
        `in-progress ${interval} candle opened at ${new Date(containing).toISOString()} is not there yet`,
      );
    }
    history[interval] = window;
  }
  return mode === 'live' ? { history, live } : { history };
}
