import type { Candle } from './candle.ts';

/** Index of the candle opening at `openTime` in candles sorted by open time, or -1 (binary search). */
export function indexOfOpen(candles: readonly Candle[], openTime: number): number {
  let lo = 0;
  let hi = candles.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const t = candles[mid]!.openTime;
    if (t === openTime) return mid;
    if (t < openTime) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}
