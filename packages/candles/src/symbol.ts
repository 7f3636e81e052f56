/**
 * Binance symbols are upper-case letters and digits. Anything else (quotes, spaces, semicolons)
 * is refused here, at the edge, so no odd character reaches SQL, ILP or a Redis key.
 */
const SYMBOL_PATTERN = /^[A-Z0-9]{2,20}$/;

export function isValidSymbol(value: string): boolean {
  return SYMBOL_PATTERN.test(value);
}

export function parseSymbol(value: string): string {
  const symbol = value.trim().toUpperCase();
  if (!isValidSymbol(symbol)) {
    throw new Error(`invalid symbol "${value}": expected 2-20 letters or digits, e.g. BTCUSDT`);
  }
  return symbol;
}
