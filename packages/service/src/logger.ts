import pino, { type DestinationStream, type Logger } from 'pino';
import { redactDeep, redactText } from './redact.ts';

export type { Logger } from 'pino';

/**
 * The one structured logger. JSON lines by default (what log shippers want); human-readable
 * when LOG_PRETTY=1 or stdout is a terminal. LOG_LEVEL sets the level (default info).
 * Every line is redacted: URL passwords (and values of keys naming a password, secret or token) become ***,
 * in the message, in the logged object and in serialized errors. `destination`: tests capture lines.
 */
export function createLogger(name: string, destination?: DestinationStream): Logger {
  const pretty =
    destination === undefined &&
    (process.env.LOG_PRETTY === '1' || (process.env.LOG_PRETTY !== '0' && process.stdout.isTTY));
  const options: pino.LoggerOptions = {
    name,
    level: process.env.LOG_LEVEL ?? 'info',
    formatters: { log: (object) => redactDeep(object) as Record<string, unknown> },
    hooks: {
      logMethod(args, method) {
        method.apply(
          this,
          args.map((arg) => (typeof arg === 'string' ? redactText(arg) : arg)) as Parameters<typeof method>,
        );
      },
    },
    ...(pretty
      ? {
          transport: {
            target: 'pino-pretty',
            options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' },
          },
        }
      : {}),
  };
  return destination === undefined ? pino(options) : pino(options, destination);
}
