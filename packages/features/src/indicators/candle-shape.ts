/** ln(close / previous close). */
export function logReturn(close: number, prevClose: number): number {
  return Math.log(close / prevClose);
}

/** Share of the candle's range that is wick: ((high − low) − |open − close|)/(high − low); 0 when high = low. */
export function wickRatio(open: number, high: number, low: number, close: number): number {
  const range = high - low;
  return range > 0 ? (range - Math.abs(open - close)) / range : 0;
}
