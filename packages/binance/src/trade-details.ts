import type { Candle } from '@regime/candles';

export interface TradeDetails {
  quoteVolume: number;
  trades: number;
  takerBuyBaseVolume: number;
  takerBuyQuoteVolume: number;
}

/**
 * Adds quote volume, trade count and taker volumes to a candle, unless they carry no information.
 *
 * A candle with volume > 0 always has at least one trade on the real exchange, so "volume > 0 and
 * 0 trades" cannot be real data. The replay exchange uses exactly that pattern for candles whose
 * source files hold only OHLCV (the 1m/5m files, and 15m/1h derived from them): the Binance format
 * has no way to say "unknown". Such candles keep the optional fields undefined (null in QuestDB),
 * as docs/ARCHITECTURE.md asks, instead of storing invented zeros.
 */
export function withTradeDetails(candle: Candle, details: TradeDetails): Candle {
  if (details.trades === 0 && candle.volume > 0) return candle;
  candle.quoteVolume = details.quoteVolume;
  candle.trades = details.trades;
  candle.takerBuyBaseVolume = details.takerBuyBaseVolume;
  candle.takerBuyQuoteVolume = details.takerBuyQuoteVolume;
  return candle;
}
