/**
 * Just enough of Dockerfile and .dockerignore semantics to check the image recipe without a
 * Docker engine: instructions (with line continuations) and the build-context filter.
 */

export interface Instruction {
  keyword: string;
  args: string;
  /** Index of the build stage (0 = first FROM). */
  stage: number;
}

export function parseDockerfile(text: string): Instruction[] {
  const logical: string[] = [];
  let pending = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (pending === '' && (line === '' || line.startsWith('#'))) continue;
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1)} `;
      continue;
    }
    logical.push(pending + line);
    pending = '';
  }
  const out: Instruction[] = [];
  let stage = -1;
  for (const line of logical) {
    const m = /^(\w+)\s+([\s\S]*)$/.exec(line);
    if (!m) throw new Error(`unparsable Dockerfile line: ${line}`);
    const keyword = m[1]!.toUpperCase();
    if (keyword === 'FROM') stage++;
    out.push({ keyword, args: m[2]!.trim(), stage });
  }
  return out;
}

/** The exec form (JSON array) of CMD/ENTRYPOINT; throws on the shell form. */
export function execForm(instruction: Instruction): string[] {
  const parsed = JSON.parse(instruction.args) as unknown;
  if (!Array.isArray(parsed) || !parsed.every((x) => typeof x === 'string')) {
    throw new Error(`${instruction.keyword} is not in exec form: ${instruction.args}`);
  }
  return parsed;
}

function patternToRegExp(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*' && pattern[i + 1] === '*') {
      // "**/" matches any number of directories, including none.
      if (pattern[i + 2] === '/') {
        re += '(?:.*/)?';
        i += 2;
      } else {
        re += '.*';
        i++;
      }
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/**
 * Whether the build context leaves `path` (relative to the context root) out. A pattern that
 * matches a directory leaves out everything inside it; the last matching line wins, and `!` lines
 * bring paths back.
 */
export function isDockerIgnored(path: string, dockerignore: string): boolean {
  const rules = dockerignore
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => {
      const exception = l.startsWith('!');
      const pattern = (exception ? l.slice(1) : l).replace(/^\/+/, '').replace(/\/+$/, '');
      return { exception, re: patternToRegExp(pattern) };
    });
  const parts = path.split('/');
  const prefixes = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
  let ignored = false;
  for (const rule of rules) {
    if (prefixes.some((p) => rule.re.test(p))) ignored = !rule.exception;
  }
  return ignored;
}
