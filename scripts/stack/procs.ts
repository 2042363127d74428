/**
 * Detached background processes with pid files, and a marker on their command line so a
 * recycled pid is never mistaken for one of ours (and never signalled).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { paths } from './paths.js';

/** JVM system property put on every process we start: -Dsluice.stack=<role>@<stack dir>. */
export function markerArg(role: string): string {
  return `-Dsluice.stack=${role}@${paths.root}`;
}

export function readPid(role: string): number | undefined {
  try {
    const pid = Number.parseInt(fs.readFileSync(paths.pidFile(role), 'utf8').trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Is `pid` alive and is it the process we started for `role`? */
export function isOurProcess(pid: number, role: string): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    // EPERM: alive but not ours to signal, so certainly not one we started.
    return false;
  }
  try {
    const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return cmdline.includes(markerArg(role));
  } catch {
    // No /proc (macOS): trust the pid file.
    return true;
  }
}

/** The pid of the running process for `role`, or undefined (removing a stale pid file). */
export function runningPid(role: string): number | undefined {
  const pid = readPid(role);
  if (pid === undefined) return undefined;
  if (isOurProcess(pid, role)) return pid;
  fs.rmSync(paths.pidFile(role), { force: true });
  return undefined;
}

/**
 * Starts `command args` detached from this process (own process group, stdio to the role's
 * log file), so it keeps running after the npm script or test run that started it exits.
 */
export function startDetached(role: string, command: string, args: string[], cwd: string): number {
  fs.mkdirSync(paths.logs, { recursive: true });
  fs.mkdirSync(paths.pids, { recursive: true });
  const logFile = paths.logFile(role);
  fs.appendFileSync(logFile, `\n===== sluice stack: starting ${role} at ${new Date().toISOString()} =====\n`);
  const fd = fs.openSync(logFile, 'a');
  try {
    const child = spawn(command, args, { cwd, detached: true, stdio: ['ignore', fd, fd], env: process.env });
    if (child.pid === undefined) throw new Error(`could not start ${role} (${command})`);
    child.unref();
    fs.writeFileSync(paths.pidFile(role), `${child.pid}\n`);
    return child.pid;
  } finally {
    fs.closeSync(fd);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until the process is gone; true if it went within `timeoutMs`. */
export async function waitForExit(pid: number, role: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isOurProcess(pid, role)) return true;
    await sleep(100);
  }
  return !isOurProcess(pid, role);
}

/**
 * Stops the role's process: SIGTERM (both JVMs shut down cleanly on it), then SIGKILL after
 * `graceMs`. With signal 'SIGKILL' it kills at once (a crash, for fault tests).
 */
export async function stopProcess(
  role: string,
  opts: { graceMs?: number; signal?: 'SIGTERM' | 'SIGKILL' } = {},
): Promise<'not-running' | 'stopped' | 'killed'> {
  const pid = runningPid(role);
  if (pid === undefined) return 'not-running';
  const signal = opts.signal ?? 'SIGTERM';
  try {
    process.kill(pid, signal);
  } catch {
    /* already gone */
  }
  let outcome: 'stopped' | 'killed' = signal === 'SIGKILL' ? 'killed' : 'stopped';
  if (!(await waitForExit(pid, role, signal === 'SIGKILL' ? 10_000 : (opts.graceMs ?? 30_000)))) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone meanwhile */
    }
    outcome = 'killed';
    await waitForExit(pid, role, 10_000);
  }
  fs.rmSync(paths.pidFile(role), { force: true });
  return outcome;
}

/** Last `lines` lines of the role's log, for error messages. */
export function logTail(role: string, lines = 40): string {
  try {
    const text = fs.readFileSync(paths.logFile(role), 'utf8');
    return text.split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}
