/**
 * Docker Compose's variable interpolation and .env parsing, as the Compose Specification defines
 * them, so a test can see docker-compose.yml the way `docker compose config` would:
 *   $$ → $; $VAR and ${VAR}; ${VAR:-default} / ${VAR-default}; ${VAR:?error} / ${VAR?error};
 *   ${VAR:+replacement} / ${VAR+replacement}. Defaults and replacements may nest.
 */

export type Env = Record<string, string | undefined>;

export class InterpolationError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`required variable ${variable} is missing a value: ${message}`);
    this.name = 'InterpolationError';
  }
}

/** The index of the '}' closing the '${' that starts at `open`. */
function closingBrace(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === '$' && text[i + 1] === '{') {
      depth++;
      i++;
    } else if (text[i] === '}') {
      depth--;
      if (depth === 0) return i;
    }
  }
  throw new Error(`unterminated \${ in "${text}"`);
}

function expression(body: string, env: Env): string {
  const m = /^([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([\s\S]*))?$/.exec(body);
  if (!m) throw new Error(`invalid interpolation format for "\${${body}}"`);
  const [, name, operator, rest = ''] = m;
  const value = env[name!];
  const unsetOrEmpty = value === undefined || value === '';
  switch (operator) {
    case undefined:
      return value ?? '';
    case ':-':
      return unsetOrEmpty ? interpolate(rest, env) : value;
    case '-':
      return value === undefined ? interpolate(rest, env) : value;
    case ':?':
      if (unsetOrEmpty) throw new InterpolationError(name!, interpolate(rest, env));
      return value;
    case '?':
      if (value === undefined) throw new InterpolationError(name!, interpolate(rest, env));
      return value;
    case ':+':
      return unsetOrEmpty ? '' : interpolate(rest, env);
    case '+':
      return value === undefined ? '' : interpolate(rest, env);
    default:
      throw new Error(`unknown operator ${operator}`);
  }
}

export function interpolate(text: string, env: Env): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c !== '$') {
      out += c;
      continue;
    }
    const next = text[i + 1];
    if (next === '$') {
      out += '$';
      i++;
    } else if (next === '{') {
      const end = closingBrace(text, i);
      out += expression(text.slice(i + 2, end), env);
      i = end;
    } else {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i + 1));
      if (m) {
        out += env[m[0]] ?? '';
        i += m[0].length;
      } else out += '$';
    }
  }
  return out;
}

/** Interpolates every string value (not keys) of a parsed compose document. */
export function interpolateDocument<T>(doc: T, env: Env): T {
  if (typeof doc === 'string') return interpolate(doc, env) as T;
  if (Array.isArray(doc)) return doc.map((item) => interpolateDocument(item, env)) as T;
  if (doc && typeof doc === 'object') {
    return Object.fromEntries(Object.entries(doc).map(([k, v]) => [k, interpolateDocument(v, env)])) as T;
  }
  return doc;
}

/** Every variable that ${VAR:?...} or ${VAR?...} requires. */
export function requiredVariables(text: string): string[] {
  return [...new Set([...text.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*):?\?/g)].map((m) => m[1]!))].sort();
}

/** A .env file: KEY=VALUE lines, # comments, optional single or double quotes. */
export function parseDotEnv(text: string): Env {
  const env: Env = {};
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!m) throw new Error(`malformed .env line: ${raw}`);
    let value = m[2]!;
    const quoted = /^(['"])([\s\S]*)\1$/.exec(value);
    if (quoted) value = quoted[2]!;
    else value = value.replace(/\s+#.*$/, '');
    env[m[1]!] = value;
  }
  return env;
}
