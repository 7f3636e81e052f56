import { z } from 'zod';

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Validates environment variables against a zod object schema and returns the typed config.
 * Every bad value is reported at once, by variable name, with what was expected.
 */
export function loadConfig<S extends z.ZodObject>(
  schema: S,
  env: NodeJS.ProcessEnv = process.env,
): z.infer<S> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const key = issue.path.join('.');
    const value = env[key];
    return `${key}${value === undefined ? '' : `="${value}"`}: ${issue.message}`;
  });
  throw new ConfigError(problems);
}

/** Comma-separated list, trimmed, empties dropped. */
export const csv = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((s) =>
      s
        .split(',')
        .map((x) => x.trim())
        .filter((x) => x.length > 0),
    );

export const url = (fallback: string, protocols: string[]) =>
  z
    .string()
    .default(fallback)
    .refine(
      (s) => {
        try {
          return protocols.includes(new URL(s).protocol.replace(':', ''));
        } catch {
          return false;
        }
      },
      { message: `expected a ${protocols.join(' or ')} URL` },
    );

export const port = (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback);

/**
 * Comma-separated list whose items all pass `parse` (which throws a readable message otherwise);
 * every bad item is reported, duplicates are dropped, an empty list is refused.
 */
export const parsedList = <T>(fallback: string, parse: (item: string) => T) =>
  csv(fallback).transform((items, ctx) => {
    const out: T[] = [];
    for (const item of items) {
      try {
        out.push(parse(item));
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: (error as Error).message });
      }
    }
    if (items.length === 0) ctx.addIssue({ code: 'custom', message: 'must not be empty' });
    return [...new Set(out)];
  });
