/**
 * Credentials never reach an error message or a log line: `scheme://user:secret@host` keeps the user
 * (useful to tell which account failed) and loses the password.
 */
const URL_CREDENTIALS = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s/?#@:]*):([^\s/?#@]*)@/gi;

/** Variables whose whole value is a secret (never echoed, whatever it looks like). */
const SECRET_NAME = /PASSWORD|SECRET|TOKEN|API_?KEY/i;

export const REDACTED = '***';

export function redactText(text: string): string {
  return text.replace(
    URL_CREDENTIALS,
    (_all, scheme: string, user: string) => `${scheme}${user}:${REDACTED}@`,
  );
}

/** A value as it may be shown next to its variable name. */
export function redactValue(name: string, value: string): string {
  if (SECRET_NAME.test(name)) return REDACTED;
  // A URL typed without its scheme ("user:secret@host") still carries a password.
  if (!value.includes('://')) return value.replace(/^([^\s/?#@:]*):([^\s/?#@]*)@/, `$1:${REDACTED}@`);
  return redactText(value);
}

/** Deep copy of a log object with every string redacted (log objects are small; errors included). */
export function redactDeep(value: unknown, seen = new WeakSet<object>()): unknown {
  if (typeof value === 'string') return redactText(value);
  if (value === null || typeof value !== 'object') return value;
  if (seen.has(value)) return '[circular]';
  seen.add(value);
  if (Array.isArray(value)) return value.map((v) => redactDeep(v, seen));
  // An Error stays an Error (pino's serializer then names its type), with its texts redacted.
  const out: Record<string, unknown> =
    value instanceof Error ? redactedError(value, seen) : ({} as Record<string, unknown>);
  for (const [key, v] of Object.entries(value)) {
    out[key] = typeof v === 'string' && SECRET_NAME.test(key) ? REDACTED : redactDeep(v, seen);
  }
  return out;
}

function redactedError(error: Error, seen: WeakSet<object>): Error & Record<string, unknown> {
  const copy = new Error(redactText(error.message)) as Error & Record<string, unknown>;
  Object.defineProperty(copy, 'name', {
    value: error.name,
    enumerable: false,
    writable: true,
    configurable: true,
  });
  copy.stack = error.stack === undefined ? undefined : redactText(error.stack);
  if (error.cause !== undefined) copy.cause = redactDeep(error.cause, seen);
  return copy;
}
