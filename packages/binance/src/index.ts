export { type BackoffOptions, backoffDelay } from './backoff.ts';
export { ConnectAttemptBudget } from './connect-budget.ts';
export { BinanceApiError, RetriesExhaustedError, UnknownSymbolError } from './errors.ts';
export {
  futureKlineProblem,
  klineStreamName,
  type ParsedKlineMessage,
  parseKlineMessage,
  type RejectCode,
} from './kline-message.ts';
export {
  BinanceRest,
  KLINES_PAGE_LIMIT,
  type KlinePage,
  type KlinesQuery,
  type RestClientOptions,
} from './rest.ts';
export { parseRestKline, type RejectedRestRow, readRestKline } from './rest-kline.ts';
export { parseRetryAfter } from './retry-after.ts';
export { type ServiceClockConfig, serviceClock } from './service-clock.ts';
export {
  KlineStream,
  type KlineStreamEvents,
  type KlineStreamOptions,
  type ReconnectInfo,
  type StreamRef,
} from './stream.ts';
