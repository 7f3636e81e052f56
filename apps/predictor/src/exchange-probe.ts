import { BinanceRest } from '@regime/binance';
import { redactText } from '@regime/service';

/** The exchange did not answer: the message is the one line a user needs (what failed, what to do). */
export class ExchangeUnreachableError extends Error {
  override name = 'ExchangeUnreachableError';
}

/** The innermost cause's message: "connect ECONNREFUSED 127.0.0.1:8765", not "fetch failed". */
function rootCause(error: unknown): string {
  let current = error as { message?: string; cause?: unknown; code?: string } | undefined;
  let message = String(current?.message ?? error);
  while (current?.cause !== undefined) {
    current = current.cause as typeof current;
    if (current?.message) message = current.code ? `${current.code}: ${current.message}` : current.message;
  }
  return message;
}

/**
 * One GET /api/v3/time with a short timeout and no retries. The console mode needs the exchange for
 * everything; when it is not there (offline, wrong URL), say so at once and point at the replay
 * exchange rather than retrying for seconds and printing stack traces.
 */
export async function probeExchange(restUrl: string, timeoutMs = 5000): Promise<void> {
  const rest = new BinanceRest({ baseUrl: restUrl, maxRetries: 0, requestTimeoutMs: timeoutMs });
  try {
    await rest.serverTime();
  } catch (error) {
    throw new ExchangeUnreachableError(
      redactText(
        `cannot reach the exchange at ${restUrl} (GET /api/v3/time: ${rootCause(error)}). ` +
          'Offline? Start the replay exchange and point at it: ' +
          '`npm run exchange:replay -- --from 2025-10-01 &` then `BINANCE_REST_URL=http://127.0.0.1:8765 npm start`',
      ),
    );
  }
}
