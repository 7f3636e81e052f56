import type { Candle } from '@regime/candles';
import type { CandleHistory } from '@regime/features';
import type { Regime, RegimePrediction } from '@regime/model/runtime';
import { type InstantPrediction, STEP_MS } from './walk-forward.ts';

const FIFTEEN_MINUTES_MS = 15 * 60_000;

/**
 * What the strategies trade on for one symbol, on the grid of as-of instants T_0 < T_1 < … (5 minutes
 * apart). Step i is the holding period (T_i, T_i + 5m]: its return is known only after T_i + 5m, while
 * everything a strategy may look at for step i (price, 15m closes, prediction) is known at T_i.
 */
export interface MarketSeries {
  symbol: string;
  instants: Float64Array;
  /** Price known at T_i: the close of the newest 5m candle closed by T_i. */
  price: Float64Array;
  /** Return over (T_i, T_i + 5m]: close of the 5m candle opened at T_i over price[i]; 0 over a gap. */
  stepReturn: Float64Array;
  /** Closes of every 15m candle in the data, ascending by close time, and those close times. */
  closes15m: Float64Array;
  closeTimes15m: Float64Array;
  /** The official prediction as of T_i; undefined where none could be made (gap in the candles). */
  predictions: (RegimePrediction | undefined)[];
  /** 5m steps whose closing candle is missing (return counted as 0). */
  missingSteps: number;
}

/** Lines candles and predictions up on the instants. `predictions[i]` belongs to `instants[i]`. */
export function marketSeries(
  symbol: string,
  history: CandleHistory,
  instants: readonly number[],
  predictions: readonly InstantPrediction[],
): MarketSeries {
  const m5 = history['5m'];
  const closeByOpen = new Map<number, number>();
  for (const c of m5) closeByOpen.set(c.openTime, c.close);
  const n = instants.length;
  const price = new Float64Array(n);
  const stepReturn = new Float64Array(n);
  let missingSteps = 0;
  // Price at T: the newest 5m close at or before T (carried over a gap).
  let k = 0;
  let last = Number.NaN;
  for (let i = 0; i < n; i++) {
    const t = instants[i]!;
    while (k < m5.length && m5[k]!.openTime + STEP_MS <= t) last = m5[k++]!.close;
    price[i] = last;
    const next = closeByOpen.get(t);
    if (next === undefined || !Number.isFinite(last)) {
      missingSteps++;
      stepReturn[i] = 0;
    } else stepReturn[i] = next / last - 1;
  }
  const m15: readonly Candle[] = history['15m'];
  return {
    symbol,
    instants: Float64Array.from(instants),
    price,
    stepReturn,
    closes15m: Float64Array.from(m15, (c) => c.close),
    closeTimes15m: Float64Array.from(m15, (c) => c.openTime + FIFTEEN_MINUTES_MS),
    predictions: predictions.map((p) => (p.ok ? p.prediction : undefined)),
    missingSteps,
  };
}

/** Share of instants per predicted regime (and without a prediction). */
export function regimeShare(series: MarketSeries): Record<Regime | 'none', number> {
  const counts: Record<string, number> = {};
  for (const p of series.predictions) {
    const key = p?.regime ?? 'none';
    counts[key] = (counts[key] ?? 0) + 1;
  }
  const n = series.predictions.length || 1;
  return Object.fromEntries(Object.entries(counts).map(([k, v]) => [k, v / n])) as Record<
    Regime | 'none',
    number
  >;
}

/** Changes of the official regime between consecutive instants, per day: what a regime gate trades on. */
export function regimeSwitchesPerDay(series: MarketSeries): number {
  let switches = 0;
  let last: Regime | undefined;
  for (const p of series.predictions) {
    if (p === undefined) continue;
    if (last !== undefined && p.regime !== last) switches++;
    last = p.regime;
  }
  const days = (series.instants.length * STEP_MS) / 86_400_000;
  return days > 0 ? switches / days : 0;
}
