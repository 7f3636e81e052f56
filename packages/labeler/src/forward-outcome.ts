import type { Candle } from '@regime/candles';
import { BAR_MS, BASE_INTERVAL_MS } from './label-series.ts';

/**
 * What the market did in the 4 hours after an instant T, measured against what it did before T:
 * the yardstick for "what does a regime imply for the next hours" (the regime profile of an
 * evaluation, the scorer's outcomes). Scale-free: log returns of 15-minute steps of the 5m closes.
 *
 * - volRatio: realised volatility of the 16 steps after T ÷ realised volatility of the 15 days before T;
 * - netSigma: |net move over the next 4 h| in trailing sigmas (the trailing 15-minute volatility × √16);
 * - efficiency: |net move| ÷ Σ|step move| over the next 4 h (1 = a straight line);
 * - forwardReturn: the next 4 hours' return, close at T + 4 h ÷ close at T − 1 (signed: the direction);
 * - continues: the next 4 hours' net move has the sign of the last 4 hours' (null when either is 0).
 *
 * It reads the future by definition: an evaluation's yardstick, never a model input.
 */
export interface ForwardOutcome {
  volRatio: number;
  netSigma: number;
  efficiency: number;
  forwardReturn: number;
  continues: boolean | null;
}

/** 15-minute steps after T (4 hours) and before it (15 days). */
export const FORWARD_STEPS = 16;
export const TRAILING_STEPS = 1440;

/**
 * The outcome of `asOf` (a 5-minute boundary) from a symbol's 5m candles, sorted by open time; null
 * when a close it needs (every 15 minutes from 15 days before T to 4 hours after) is missing.
 * `closeAt` lets a caller computing many instants pass its own lookup of the close at a time.
 */
export function forwardOutcome(
  asOf: number,
  closeAt: (closeTime: number) => number | undefined,
): ForwardOutcome | null {
  if (asOf % BASE_INTERVAL_MS !== 0) throw new Error(`as-of ${asOf} is not on a 5-minute boundary`);
  const anchor = closeAt(asOf);
  if (anchor === undefined) return null;
  let sumSq = 0;
  let previous = anchor;
  let pastNet = 0;
  for (let k = 1; k <= TRAILING_STEPS; k++) {
    const c = closeAt(asOf - k * BAR_MS);
    if (c === undefined) return null;
    const r = Math.log(previous / c);
    sumSq += r * r;
    if (k <= FORWARD_STEPS) pastNet += r;
    previous = c;
  }
  const trailing = Math.sqrt(sumSq / TRAILING_STEPS);
  let forwardSq = 0;
  let path = 0;
  previous = anchor;
  for (let k = 1; k <= FORWARD_STEPS; k++) {
    const c = closeAt(asOf + k * BAR_MS);
    if (c === undefined) return null;
    const r = Math.log(c / previous);
    forwardSq += r * r;
    path += Math.abs(r);
    previous = c;
  }
  const net = Math.log(previous / anchor);
  return {
    volRatio: trailing > 0 ? Math.sqrt(forwardSq / FORWARD_STEPS) / trailing : Number.NaN,
    netSigma: trailing > 0 ? Math.abs(net) / (trailing * Math.sqrt(FORWARD_STEPS)) : Number.NaN,
    efficiency: path > 0 ? Math.abs(net) / path : 0,
    forwardReturn: previous / anchor - 1,
    continues: net === 0 || pastNet === 0 ? null : Math.sign(net) === Math.sign(pastNet),
  };
}

/** A close-time lookup over sorted 5m candles (the close of the candle that closes at a time). */
export function closeLookup(candles5m: readonly Candle[]): (closeTime: number) => number | undefined {
  const byClose = new Map<number, number>();
  for (const c of candles5m) byClose.set(c.openTime + BASE_INTERVAL_MS, c.close);
  return (t) => byClose.get(t);
}
