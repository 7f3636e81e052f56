import { spawnSync } from 'node:child_process';

/** A missing prerequisite, with what to do about it. */
export class MissingToolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MissingToolError';
  }
}

function run(
  command: string,
  args: string[],
  timeoutMs = 60_000,
): { ok: boolean; output: string; missing: boolean } {
  const result = spawnSync(command, args, { encoding: 'utf8', timeout: timeoutMs });
  const missing = (result.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
  return { ok: result.status === 0, output: `${result.stdout ?? ''}${result.stderr ?? ''}`, missing };
}

/** QuestDB 9 needs Java 17 or newer. */
export function checkJava(): string {
  const r = run('java', ['-version']);
  if (r.missing) {
    throw new MissingToolError(
      'Java is not installed, and QuestDB needs it (Java 17 or newer). ' +
        'Install it, e.g. `sudo apt-get install -y openjdk-17-jre-headless`, then run `npm run stack:up` again.',
    );
  }
  const m = /version "(\d+)(?:\.(\d+))?/.exec(r.output);
  const major = m ? (m[1] === '1' ? Number(m[2]) : Number(m[1])) : Number.NaN;
  if (!(major >= 17)) {
    throw new MissingToolError(
      `QuestDB needs Java 17 or newer; \`java -version\` says: ${r.output.split('\n')[0]}. ` +
        'Install e.g. openjdk-17-jre-headless and put it first on PATH.',
    );
  }
  return `Java ${major}`;
}

/** Fetches org.questdb:questdb:<version> into the local Maven repository (a no-op when cached). */
export function fetchQuestDbJar(version: string, mavenRepository: string): void {
  const r = run(
    'mvn',
    [
      '-q',
      '-B',
      `-Dmaven.repo.local=${mavenRepository}`,
      'dependency:get',
      `-Dartifact=org.questdb:questdb:${version}`,
      '-Dtransitive=false',
    ],
    600_000, // a first download on a slow link
  );
  if (r.missing) {
    throw new MissingToolError(
      `QuestDB ${version} is not in the Maven cache (${mavenRepository}) and Maven is not installed to fetch it. ` +
        'Install it, e.g. `sudo apt-get install -y maven`, then run `npm run stack:up` again.',
    );
  }
  if (!r.ok) {
    throw new Error(
      `mvn could not fetch org.questdb:questdb:${version} from Maven Central:\n${r.output.trim().slice(-2000)}`,
    );
  }
}

export function hasCommand(command: string, versionArg = '--version'): boolean {
  return !run(command, [versionArg]).missing;
}
