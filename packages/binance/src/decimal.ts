/**
 * Binance sends prices and volumes as decimal strings ("42283.58000000"). Only plain decimals are
 * accepted: "NaN", "Infinity", "1e5", "abc", "" and numbers-as-JSON-numbers are refused, so a bad
 * value can never slip through `Number()` as NaN or as a silently reinterpreted value.
 */
const DECIMAL = /^-?\d+(\.\d+)?$/;

export function isDecimalString(value: unknown): value is string {
  return typeof value === 'string' && DECIMAL.test(value);
}

export function parseDecimal(value: unknown, field: string): number {
  if (!isDecimalString(value)) {
    throw new Error(`field ${field} must be a decimal string, got ${JSON.stringify(value)}`);
  }
  return Number(value);
}

export function parseInteger(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
    throw new Error(`field ${field} must be an integer, got ${JSON.stringify(value)}`);
  }
  return value;
}
