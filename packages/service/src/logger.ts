import pino, { type Logger } from 'pino';

export type { Logger } from 'pino';

/**
 * The one structured logger. JSON lines by default (what log shippers want); human-readable
 * when LOG_PRETTY=1 or stdout is a terminal. LOG_LEVEL sets the level (default info).
 */
export function createLogger(name: string): Logger {
  const pretty = process.env.LOG_PRETTY === '1' || (process.env.LOG_PRETTY !== '0' && process.stdout.isTTY);
  return pino({
    name,
    level: process.env.LOG_LEVEL ?? 'info',
    ...(pretty
      ? {
          transport: {
            target: 'pino-pretty',
            options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' },
          },
        }
      : {}),
  });
}
