/** Helpers of the start-up tests: the HTTP listener of a running sluice, and its warnings. */
import { waitFor } from '../helpers/services.js';
import type { Running } from '../helpers/sluice.js';
import { checkLogLines } from '../helpers/log-lines.js';

/** The base URL of the /healthz /readyz /metrics listener of `proc` (started with port 0). */
export async function httpBase(proc: Running): Promise<string> {
  await waitFor('the http listener', () => /http listening on [\d.]+:\d+/.test(proc.output()), 60_000, 100);
  const [, address, port] = /http listening on ([\d.]+):(\d+)/.exec(proc.output())!;
  return `http://${address}:${port}`;
}

export async function readyz(base: string): Promise<{ status: number; body: any }> {
  const res = await fetch(`${base}/readyz`);
  return { status: res.status, body: await res.json() };
}

/** The parsed log lines at warn level (40) exactly, and those above. */
export function warnings(proc: Running) {
  const { lines } = checkLogLines(proc.output());
  return { warn: lines.filter((l) => l.level === 40), errors: lines.filter((l) => l.level >= 50) };
}

/** SIGTERM, then the exit code and how long the exit took (SIGKILL and null after `withinMs`). */
export async function sigterm(proc: Running, withinMs: number): Promise<{ code: number | null; ms: number }> {
  const t0 = Date.now();
  proc.child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const r = await Promise.race([proc.exited, new Promise<'timeout'>((res) => (timer = setTimeout(() => res('timeout'), withinMs)))]);
  clearTimeout(timer);
  if (r === 'timeout') {
    proc.child.kill('SIGKILL');
    return { code: null, ms: Date.now() - t0 };
  }
  return { code: r.code, ms: Date.now() - t0 };
}
