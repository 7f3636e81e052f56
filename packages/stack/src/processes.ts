import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** What stack:up records about a process it started, so stack:down stops that process and no other. */
export interface ManagedProcess {
  pid: number;
  /** Strings that must all appear in /proc/<pid>/cmdline: guards against a recycled pid. */
  markers: string[];
  startedAt: string;
  command: string;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function readPidFile(path: string): ManagedProcess | undefined {
  if (!existsSync(path)) return undefined;
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as ManagedProcess;
    return Number.isInteger(parsed.pid) && parsed.pid > 0 ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** True when the pid file's process is still alive and still the program we started. */
export function isManagedRunning(managed: ManagedProcess): boolean {
  if (!isAlive(managed.pid)) return false;
  const cmdlinePath = `/proc/${managed.pid}/cmdline`;
  if (!existsSync(cmdlinePath)) return true; // no procfs: trust the pid
  try {
    const cmdline = readFileSync(cmdlinePath, 'utf8').replaceAll('\0', ' ');
    return managed.markers.every((marker) => cmdline.includes(marker));
  } catch {
    return false;
  }
}

/**
 * Starts a long-running program in its own process group with output appended to `logFile`, and
 * returns without waiting for it: it outlives the CLI (and vitest) that started it.
 */
export function spawnDetached(
  command: string,
  args: string[],
  opts: { logFile: string; env?: NodeJS.ProcessEnv; cwd?: string },
): number {
  mkdirSync(dirname(opts.logFile), { recursive: true });
  const log = openSync(opts.logFile, 'a');
  try {
    const child = spawn(command, args, {
      detached: true,
      stdio: ['ignore', log, log],
      env: opts.env ?? process.env,
      cwd: opts.cwd,
    });
    if (child.pid === undefined) throw new Error(`could not start ${command}`);
    child.unref();
    return child.pid;
  } finally {
    closeSync(log);
  }
}

export function writePidFile(path: string, managed: ManagedProcess): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(managed, null, 2)}\n`);
}

export function removePidFile(path: string): void {
  rmSync(path, { force: true });
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** SIGTERM, then SIGKILL if it is still there after `graceMs`. Resolves when the process is gone. */
export async function stopProcess(pid: number, graceMs = 30_000): Promise<'terminated' | 'killed'> {
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return 'terminated';
  }
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return 'terminated';
    await sleep(100);
  }
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
  while (isAlive(pid)) await sleep(50);
  return 'killed';
}

/** The last lines of a log file, for error messages. */
export function tail(path: string, lines = 20): string {
  if (!existsSync(path)) return '(no log)';
  return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
}
