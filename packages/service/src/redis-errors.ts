import type { Logger } from './logger.ts';

const UNREACHABLE = ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT'];

/**
 * For the 'error' events of BullMQ queues, workers and ioredis clients. Redis being away is an
 * expected state (ioredis reconnects on its own): one line, no stack; anything else in full.
 */
export function logRedisError(log: Logger, source: string, error: Error & { code?: string }): void {
  if (UNREACHABLE.includes(error.code ?? '')) {
    log.warn({ source, code: error.code }, 'redis unreachable; reconnecting');
  } else log.warn({ source, err: error }, 'redis error');
}
