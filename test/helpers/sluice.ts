/** Running the real `bin/sluice` as a child process, the way users and containers run it. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(fileURLToPath(import.meta.url), '..', '..', '..');
export const SLUICE = join(ROOT, 'bin', 'sluice');

export interface Running {
  child: ChildProcess;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function startSluice(args: string[], env: Record<string, string> = {}): Running {
  const child = spawn(process.execPath, [SLUICE, ...args], {
    cwd: ROOT,
    // Port 0: parallel test runs never fight over the default health/metrics port.
    env: { ...process.env, SLUICE_LOG_LEVEL: 'info', SLUICE_HTTP_PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return { child, output: () => out, exited };
}

export function runSluice(args: string[], opts: { input?: string; env?: Record<string, string> } = {}) {
  const r = spawnSync(process.execPath, [SLUICE, ...args], {
    cwd: ROOT,
    input: opts.input,
    env: { ...process.env, SLUICE_HTTP_PORT: '0', ...opts.env },
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
