/**
 * True range: max(high, previous close) − min(low, previous close), which equals
 * max(high − low, |high − prev close|, |low − prev close|). Without a previous close it is high − low
 * (pandas skips the NaN when `ta` takes the row maximum).
 */
export function trueRange(high: number, low: number, prevClose: number): number {
  if (Number.isNaN(prevClose)) return high - low;
  return Math.max(high, prevClose) - Math.min(low, prevClose);
}
