/** An error answer from the exchange (HTTP 4xx with Binance's `{code, msg}` body). Never retried. */
export class BinanceApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: number | undefined,
    readonly exchangeMessage: string,
    readonly path: string,
  ) {
    super(
      `Binance ${path} answered HTTP ${status}${code === undefined ? '' : ` code ${code}`}: ${exchangeMessage}`,
    );
    this.name = 'BinanceApiError';
  }
}

/** Binance error -1121 "Invalid symbol.": the exchange does not list this symbol. */
export class UnknownSymbolError extends BinanceApiError {
  constructor(
    readonly symbol: string,
    status: number,
    code: number | undefined,
    exchangeMessage: string,
    path: string,
  ) {
    super(status, code, exchangeMessage, path);
    this.name = 'UnknownSymbolError';
    this.message = `unknown symbol ${symbol}: ${this.message}`;
  }
}

/** Retries (429/418, 5xx, network errors) ran out. `cause` holds the last failure. */
export class RetriesExhaustedError extends Error {
  constructor(path: string, attempts: number, cause: unknown) {
    super(
      `Binance ${path} failed after ${attempts} attempts: ${cause instanceof Error ? cause.message : String(cause)}`,
      {
        cause,
      },
    );
    this.name = 'RetriesExhaustedError';
  }
}
