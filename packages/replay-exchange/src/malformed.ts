import type { KlineEvent } from './binance-format.ts';

/** The kinds of bad message the replay injects, in rotation. */
export const MALFORMED_KINDS = [
  'truncated_json',
  'nan_price',
  'high_below_low',
  'unknown_symbol',
  'negative_volume',
  'wrong_interval',
  'bad_symbol_chars',
] as const;
export type MalformedKind = (typeof MALFORMED_KINDS)[number];

/**
 * A broken copy of a real message. Sent *in addition to* the real one, never instead: a client
 * must reject it and lose nothing.
 */
export function malformedMessage(
  kind: MalformedKind,
  event: KlineEvent,
  stream: string,
  combined: boolean,
): string {
  const bad: KlineEvent = { ...event, k: { ...event.k } };
  let name = stream;
  switch (kind) {
    case 'truncated_json': {
      const text = wrap(event, stream, combined);
      return text.slice(0, Math.floor(text.length / 2));
    }
    case 'nan_price':
      bad.k.c = 'NaN';
      break;
    case 'high_below_low':
      bad.k.h = (Number(bad.k.l) * 0.99).toFixed(8);
      break;
    case 'unknown_symbol':
      bad.s = 'ZZZUSDT';
      bad.k.s = 'ZZZUSDT';
      name = stream.replace(/^[a-z0-9]+@/, 'zzzusdt@');
      break;
    case 'negative_volume':
      bad.k.v = Number(bad.k.v) > 0 ? `-${bad.k.v}` : '-1.00000000';
      break;
    case 'wrong_interval':
      bad.k.i = '7m';
      name = stream.replace(/@kline_.*$/, '@kline_7m');
      break;
    case 'bad_symbol_chars':
      bad.s = "BTC'USDT";
      bad.k.s = "BTC'USDT";
      break;
  }
  return wrap(bad, name, combined);
}

function wrap(event: KlineEvent, stream: string, combined: boolean): string {
  const data = JSON.stringify(event);
  return combined ? `{"stream":${JSON.stringify(stream)},"data":${data}}` : data;
}
