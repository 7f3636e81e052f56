import { createHash, randomBytes } from 'node:crypto';
import { cp, lstat, mkdir, readdir, readFile, readlink, rename, rm, stat, symlink } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';

/**
 * MODELS_DIR: every version in `versions/<version>/`, and `champion`, a relative symlink to the
 * version in service. The predictor's MODEL_DIR is `MODELS_DIR/champion`. A version is written into a
 * `.tmp-*` folder and renamed into place when complete, so a folder under versions/ is never half
 * written; `champion` is replaced by renaming a new symlink over it, so a reader sees the old or the
 * new champion, never neither.
 */
export const CHAMPION_LINK = 'champion';
export const VERSIONS = 'versions';
const TMP_PREFIX = '.tmp-';

export class ModelsDirError extends Error {
  override name = 'ModelsDirError';
}

export function versionDir(modelsDir: string, version: string): string {
  return join(modelsDir, VERSIONS, version);
}

/** A fresh folder to write a version into (under MODELS_DIR, so the final rename stays on one file system). */
export async function stagingDir(modelsDir: string, version: string): Promise<string> {
  await mkdir(modelsDir, { recursive: true });
  const dir = join(modelsDir, `${TMP_PREFIX}${version}-${randomBytes(4).toString('hex')}`);
  await mkdir(dir);
  return dir;
}

/** Moves a complete staging folder to versions/<version>; refuses to replace an existing version. */
export async function commitVersion(modelsDir: string, staged: string, version: string): Promise<string> {
  const target = versionDir(modelsDir, version);
  await mkdir(join(modelsDir, VERSIONS), { recursive: true });
  if (await exists(target)) throw new ModelsDirError(`version ${version} already exists in ${target}`);
  await rename(staged, target);
  return target;
}

/** Staging folders left by a cycle that died (killed trainer): removed before a new cycle. */
export async function removeStaleStaging(modelsDir: string): Promise<string[]> {
  const names = await readdir(modelsDir).catch(() => [] as string[]);
  const stale = names.filter(
    (n) => n.startsWith(TMP_PREFIX) || n.startsWith(`${CHAMPION_LINK}${TMP_PREFIX}`),
  );
  for (const name of stale) await rm(join(modelsDir, name), { recursive: true, force: true });
  return stale;
}

/** The champion's version name and folder, or undefined when there is no champion link yet. */
export async function currentChampion(
  modelsDir: string,
): Promise<{ version: string; dir: string } | undefined> {
  const link = join(modelsDir, CHAMPION_LINK);
  const info = await lstat(link).catch(() => undefined);
  if (!info) return undefined;
  if (!info.isSymbolicLink()) throw new ModelsDirError(`${link} is not a symlink to a version`);
  const target = resolve(modelsDir, await readlink(link));
  if (!(await exists(target)))
    throw new ModelsDirError(`${link} points at ${target}, which does not exist (a deleted version?)`);
  return { version: basename(target), dir: target };
}

/** Points `champion` at versions/<version> atomically (a new link renamed over the old one). */
export async function switchChampion(modelsDir: string, version: string): Promise<void> {
  const target = versionDir(modelsDir, version);
  if (!(await exists(target)))
    throw new ModelsDirError(`cannot promote ${version}: ${target} does not exist`);
  const temporary = join(modelsDir, `${CHAMPION_LINK}${TMP_PREFIX}${randomBytes(4).toString('hex')}`);
  await symlink(join(VERSIONS, version), temporary);
  await rename(temporary, join(modelsDir, CHAMPION_LINK));
}

/** Copies an existing artifact folder in as a version (the seed champion). */
export async function importVersion(modelsDir: string, from: string, version: string): Promise<string> {
  const staged = await stagingDir(modelsDir, version);
  await cp(from, staged, { recursive: true });
  return commitVersion(modelsDir, staged, version);
}

/** Versions under versions/, newest first (by folder modification time, then name). */
export async function listVersions(modelsDir: string): Promise<string[]> {
  const root = join(modelsDir, VERSIONS);
  const names = await readdir(root).catch(() => [] as string[]);
  const withTimes = await Promise.all(
    names.map(async (n) => ({ n, t: (await stat(join(root, n))).mtimeMs })),
  );
  return withTimes.sort((a, b) => b.t - a.t || b.n.localeCompare(a.n)).map((v) => v.n);
}

/** Deletes all but the newest `keep` versions, never the champion; returns the deleted versions. */
export async function pruneVersions(modelsDir: string, keep: number, champion: string): Promise<string[]> {
  const versions = await listVersions(modelsDir);
  const kept = new Set([champion, ...versions.slice(0, keep)]);
  const deleted = versions.filter((v) => !kept.has(v));
  for (const v of deleted) await rm(versionDir(modelsDir, v), { recursive: true, force: true });
  return deleted;
}

/** sha256 over the artifact's files (name and content, sorted by name). */
export async function artifactSha256(dir: string): Promise<string> {
  const hash = createHash('sha256');
  const names = (await readdir(dir)).sort();
  for (const name of names) {
    if (!(await stat(join(dir, name))).isFile()) continue;
    hash.update(`${name}\n`);
    hash.update(await readFile(join(dir, name)));
  }
  return hash.digest('hex');
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
