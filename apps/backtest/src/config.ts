import { resolve } from 'node:path';
import { parseSymbol } from '@regime/candles';
import { sharedKlinesDir } from '@regime/candles/files';
import { DEFAULT_BACKTEST_EQUITY_TABLE, DEFAULT_TABLES } from '@regime/questdb';
import { url } from '@regime/service';
import { z } from 'zod';

/**
 * Input the user got wrong (flags, environment, model artifact, an empty period): the CLI prints the
 * message and exits with code 2, distinct from 1 for a failure of the run itself.
 */
export class BadInputError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.length === 1 ? problems[0]! : `bad input:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'BadInputError';
  }
}

function tableName(fallback: string) {
  return z
    .string()
    .default(fallback)
    .refine((s) => /^[a-z_][a-z0-9_]{0,62}$/.test(s), {
      message: 'expected a table name: lower-case letters, digits and _, at most 63 characters',
    });
}

/** Environment of the backtest (only needed for QuestDB). */
export const envSchema = z.object({
  QUESTDB_HTTP: url('http://127.0.0.1:9000', ['http', 'https']),
  QUESTDB_PG_URL: url('postgres://admin:quest@127.0.0.1:8812/qdb', ['postgres', 'postgresql']),
  /** Where --data questdb reads candles (tests use their own table). */
  KLINES_TABLE: tableName(DEFAULT_TABLES.klines),
  /** Where --questdb writes the equity curves (tests use their own table). */
  BACKTEST_EQUITY_TABLE: tableName(DEFAULT_BACKTEST_EQUITY_TABLE),
});

/** Flags as commander hands them over: strings, validated here. */
export interface BacktestFlags {
  data?: string;
  symbols: string;
  from?: string;
  to?: string;
  model?: string;
  feeBps: string;
  slippageBps: string;
  out?: string;
  questdb?: boolean;
  workers?: string;
  batchSize: string;
}

export type CandleInput = { kind: 'files'; dir: string } | { kind: 'questdb' };

export interface BacktestConfig {
  candles: CandleInput;
  symbols: string[];
  from: number;
  to: number;
  /** undefined: the model shipped with packages/model. */
  modelDir: string | undefined;
  feeBps: number;
  slippageBps: number;
  /** REPORT.md path; REPORT.json and the charts go beside it. */
  out: string;
  writeQuestDb: boolean;
  workers: number;
  batchSize: number;
}

/** ISO date (midnight UTC) or date-time; a date-time without a zone is read as UTC. */
function instant(flag: string) {
  return z
    .string({ error: `${flag} is required (YYYY-MM-DD or ISO date-time, UTC)` })
    .transform((value, ctx) => {
      const trimmed = value.trim();
      const zoned =
        /T.*(Z|[+-]\d\d:?\d\d)$/i.test(trimmed) || !trimmed.includes('T') ? trimmed : `${trimmed}Z`;
      const t = /^\d{4}-\d{2}-\d{2}/.test(zoned) ? Date.parse(zoned) : Number.NaN;
      if (!Number.isFinite(t)) {
        ctx.addIssue({
          code: 'custom',
          message: `${flag} "${value}" is not a date such as 2025-05-01 or 2025-05-01T12:00Z`,
        });
        return z.NEVER;
      }
      return t;
    });
}

function number(flag: string, check: (n: number) => boolean, expected: string) {
  return z.string().transform((value, ctx) => {
    const n = value.trim() === '' ? Number.NaN : Number(value);
    if (!Number.isFinite(n) || !check(n)) {
      ctx.addIssue({ code: 'custom', message: `${flag} "${value}" must be ${expected}` });
      return z.NEVER;
    }
    return n;
  });
}

const flagsSchema = z
  .object({
    data: z.string().optional(),
    symbols: z.string().transform((value, ctx) => {
      const out: string[] = [];
      for (const item of value
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s.length > 0)) {
        try {
          out.push(parseSymbol(item));
        } catch (error) {
          ctx.addIssue({ code: 'custom', message: `--symbols: ${(error as Error).message}` });
        }
      }
      if (out.length === 0)
        ctx.addIssue({ code: 'custom', message: '--symbols must name at least one symbol' });
      return [...new Set(out)];
    }),
    from: instant('--from'),
    to: instant('--to'),
    model: z.string().min(1, '--model must name a folder').optional(),
    feeBps: number(
      '--fee-bps',
      (n) => n >= 0 && n < 10_000,
      'a number of basis points ≥ 0 (fees cannot be negative)',
    ),
    slippageBps: number('--slippage-bps', (n) => n >= 0 && n < 10_000, 'a number of basis points ≥ 0'),
    out: z
      .string({ error: '--out is required (the REPORT.md to write)' })
      .min(1, '--out is required (the REPORT.md to write)')
      .refine((s) => !s.endsWith('/'), '--out names a file (REPORT.md), not a folder'),
    questdb: z.boolean().optional(),
    workers: number(
      '--workers',
      (n) => Number.isInteger(n) && n >= 1 && n <= 64,
      'a whole number from 1 to 64',
    ).optional(),
    batchSize: number(
      '--batch-size',
      (n) => Number.isInteger(n) && n >= 1 && n <= 100_000,
      'a whole number ≥ 1',
    ),
  })
  .superRefine((f, ctx) => {
    if (typeof f.from === 'number' && typeof f.to === 'number' && f.from >= f.to) {
      ctx.addIssue({
        code: 'custom',
        path: ['from'],
        message: `--from ${new Date(f.from).toISOString()} is not before --to ${new Date(f.to).toISOString()}`,
      });
    }
  });

/** Validates every flag at once; throws BadInputError naming each bad one. */
export function parseFlags(flags: BacktestFlags, defaultWorkers: number): BacktestConfig {
  const result = flagsSchema.safeParse(flags);
  if (!result.success) throw new BadInputError(result.error.issues.map((i) => i.message));
  const f = result.data;
  const data = f.data ?? sharedKlinesDir();
  return {
    candles: data === 'questdb' ? { kind: 'questdb' } : { kind: 'files', dir: resolve(data) },
    symbols: f.symbols,
    from: f.from,
    to: f.to,
    modelDir: f.model === undefined ? undefined : resolve(f.model),
    feeBps: f.feeBps,
    slippageBps: f.slippageBps,
    out: resolve(f.out),
    writeQuestDb: f.questdb === true,
    workers: f.workers ?? Math.max(1, Math.min(defaultWorkers, f.symbols.length)),
    batchSize: f.batchSize,
  };
}
