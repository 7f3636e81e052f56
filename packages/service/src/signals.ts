import type { Logger } from './logger.ts';

/**
 * SIGINT/SIGTERM for a BullMQ service: the first signal stops gracefully (`close`, then exit 0, or
 * 1 if the close failed); a second one exits at once, as a killed process would: its jobs keep their
 * locks until they expire and another worker takes them over. (Cutting BullMQ's connections
 * in-process instead can leave a worker retrying a command on a closed connection in a loop that
 * never yields to the event loop.)
 */
export function stopOnSignals(close: () => Promise<void>, log: Logger, stopping: string): void {
  let closing = false;
  const stop = (signal: string) => {
    if (closing) {
      log.warn({ signal }, 'stopping now: abandoning the jobs in progress');
      process.exit(1);
    }
    closing = true;
    log.info({ signal }, `stopping: ${stopping} (signal again to stop at once)`);
    close().then(
      () => process.exit(0),
      (error) => {
        log.error({ err: error }, 'unclean stop');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}
