import { INTERVALS, type Interval, isInterval, isValidSymbol, parseIsoInstant } from '@regime/candles';
import type { ReplayOptions } from '@regime/replay-exchange';
import { z } from 'zod';

/** What commander hands over: every value still a string (or undefined). */
export interface RawCliOptions {
  data: string;
  port: string;
  host: string;
  speed: string;
  from?: string;
  to?: string;
  symbols?: string;
  copies?: string;
  intervals?: string;
  updateEveryMs: string;
  weightLimit: string;
  dropEvery?: string;
  rateLimitEvery?: string;
  retryAfter: string;
  malformedEvery?: string;
  serverErrorEvery?: string;
  delayMs?: string;
}

const instant = (flag: string) =>
  z.string().transform((s, ctx) => {
    if (/^\d+$/.test(s)) return Number(s);
    const parsed = parseIsoInstant(s);
    if (!parsed.ok) {
      ctx.addIssue({
        code: 'custom',
        message: `${flag}: "${s}" ${parsed.why} (e.g. 2024-03-01 or 2024-03-01T12:00Z)`,
      });
      return z.NEVER;
    }
    return parsed.t;
  });

const positive = (flag: string) =>
  z.coerce.number({ message: `${flag} must be a number` }).positive({ message: `${flag} must be > 0` });

const list = <T extends string>(flag: string, valid: (s: string) => s is T, expected: string) =>
  z.string().transform((s, ctx) => {
    const items = s
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean);
    const bad = items.filter((x) => !valid(x));
    if (bad.length || items.length === 0) {
      ctx.addIssue({
        code: 'custom',
        message: `${flag}: ${bad.join(', ') || '(empty)'} — expected ${expected}`,
      });
      return z.NEVER;
    }
    return items as T[];
  });

const schema = z.object({
  data: z.string().min(1),
  port: z.coerce.number().int().min(0).max(65535, { message: '--port must be 0..65535' }),
  host: z.string().min(1),
  speed: positive('--speed'),
  from: z.string({ message: '--from is required (ISO date)' }).pipe(instant('--from')),
  to: instant('--to').optional(),
  symbols: list(
    '--symbols',
    (s): s is string => isValidSymbol(s),
    'upper-case symbols like BTCUSDT',
  ).optional(),
  copies: z.coerce
    .number()
    .int({ message: '--copies must be a whole number' })
    .min(0, { message: '--copies must be >= 0' })
    .optional(),
  intervals: list('--intervals', (s): s is Interval => isInterval(s), INTERVALS.join(', ')).optional(),
  updateEveryMs: positive('--update-every-ms'),
  weightLimit: positive('--weight-limit'),
  dropEvery: positive('--drop-every').optional(),
  rateLimitEvery: z.coerce
    .number()
    .int()
    .positive({ message: '--rate-limit-every must be a positive integer' })
    .optional(),
  retryAfter: z.coerce.number().int().min(0, { message: '--retry-after must be >= 0' }),
  malformedEvery: z.coerce
    .number()
    .int()
    .positive({ message: '--malformed-every must be a positive integer' })
    .optional(),
  serverErrorEvery: z.coerce
    .number()
    .int()
    .positive({ message: '--server-error-every must be a positive integer' })
    .optional(),
  delayMs: z.coerce.number().min(0, { message: '--delay-ms must be >= 0' }).optional(),
});

/** Validates the command line; throws one message listing every bad value. */
export function replayOptionsFromCli(raw: RawCliOptions): ReplayOptions {
  const result = schema.safeParse(raw);
  if (!result.success) {
    throw new Error(`invalid options:\n${result.error.issues.map((i) => `  - ${i.message}`).join('\n')}`);
  }
  const o = result.data;
  if (o.to !== undefined && o.to <= o.from)
    throw new Error('invalid options:\n  - --to must be after --from');
  return {
    dataDir: o.data,
    port: o.port,
    host: o.host,
    speed: o.speed,
    from: o.from,
    to: o.to,
    symbols: o.symbols,
    copies: o.copies,
    intervals: o.intervals,
    updateEveryMs: o.updateEveryMs,
    weightLimit1m: o.weightLimit,
    faults: {
      dropConnectionsEverySec: o.dropEvery,
      rateLimitEveryN: o.rateLimitEvery,
      retryAfterSec: o.rateLimitEvery === undefined ? undefined : o.retryAfter,
      malformedEveryN: o.malformedEvery,
      serverErrorEveryN: o.serverErrorEvery,
      delayMs: o.delayMs,
    },
  };
}
