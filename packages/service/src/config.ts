import { isIP } from 'node:net';
import { z } from 'zod';
import { redactText, redactValue } from './redact.ts';

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${redactText(p)}`).join('\n')}`);
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
    // A list item's issue has the path [NAME, index]: show the variable and its whole value.
    const key = String(issue.path[0] ?? '');
    const value = env[key];
    return `${key}${value === undefined ? '' : `="${redactValue(key, value)}"`}: ${redactText(issue.message)}`;
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

/**
 * Why `text` is not a URL with one of `protocols`, or undefined when it is one. Names the true
 * reason (scheme, port, host), never just "invalid URL"; the caller redacts credentials.
 */
export function urlProblem(text: string, protocols: string[]): string | undefined {
  const expected = `expected a ${protocols.join(' or ')} URL`;
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(text)?.[1]?.toLowerCase();
  if (scheme === undefined) return `${expected} (no scheme such as ${protocols[0]}://)`;
  if (!protocols.includes(scheme)) return `${expected}, not ${scheme}://`;
  const authority = /^[^:]+:\/\/([^/?#]*)/.exec(text)?.[1];
  if (authority === undefined) return `${expected} (missing "//" after ${scheme}:)`;
  const hostPort = authority.slice(authority.lastIndexOf('@') + 1);
  const portText = /^(?:\[[^\]]*\]|[^:]*)(?::(.*))?$/.exec(hostPort)?.[1];
  if (portText !== undefined && portText !== '') {
    if (!/^\d+$/.test(portText)) return `port "${portText}" is not a number`;
    if (Number(portText) > 65535) return `port ${portText} is out of range (0-65535)`;
  }
  const host = hostPort.replace(/:[^:\]]*$/, '');
  if (host === '') return `${expected} with a host name`;
  try {
    new URL(text);
  } catch {
    return `${expected}: cannot parse it (check the host name and any characters needing %-encoding)`;
  }
  return undefined;
}

export const url = (fallback: string, protocols: string[]) =>
  z
    .string()
    .default(fallback)
    .superRefine((s, ctx) => {
      const problem = urlProblem(s, protocols);
      if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
    });

/**
 * An address to listen on: an IP address (127.0.0.1, ::1, or 0.0.0.0 to accept other machines) or
 * localhost. Defaults are loopback: nothing is open to the network unless a deployment says so.
 */
export const bindHost = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .refine((s) => isIP(s) !== 0 || s === 'localhost', {
      message:
        'expected an IP address to listen on (127.0.0.1 = this machine only, 0.0.0.0 = every interface)',
    });

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
