import { INTERVAL_MS } from '@regime/candles';
import type { PredictionMode } from '@regime/inference';

export type { PredictionMode };

/**
 * When predictions are due. Pure functions of "now" (virtual epoch ms); the scheduler ticks call them.
 *
 * - official: as of every 5-minute boundary T, on candles closed by T, run `offsetMs` after T.
 * - live: as of every minute boundary T, with the in-progress candles, run `offsetMs` after T.
 */
export const MODE_STEP_MS: Readonly<Record<PredictionMode, number>> = {
  official: INTERVAL_MS['5m'],
  live: INTERVAL_MS['1m'],
};

/** The newest as-of instant of `mode` whose run time (T + offset) has been reached at `now`. */
export function latestDueAsOf(mode: PredictionMode, now: number, offsetMs: number): number {
  const step = MODE_STEP_MS[mode];
  return Math.floor((now - offsetMs) / step) * step;
}

/** Every as-of instant of `mode` in (latest − windowMs, latest], oldest first. */
export function asOfWindow(mode: PredictionMode, latest: number, windowMs: number): number[] {
  const step = MODE_STEP_MS[mode];
  const out: number[] = [];
  const count = Math.max(1, Math.floor(windowMs / step));
  for (let i = count - 1; i >= 0; i--) out.push(latest - i * step);
  return out;
}

/** Deterministic BullMQ job id: the same (mode, symbol, T) can only ever be one job. */
export function predictionJobId(mode: PredictionMode, symbol: string, asOf: number): string {
  return `${mode}:${symbol}:${asOf}`;
}
