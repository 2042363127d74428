/** Memory and CPU of a process from /proc (Linux): for the fault tests and the benchmarks. */
import { readFileSync } from 'node:fs';

export interface ProcStats {
  /** Resident set size now, bytes. */
  rss: number;
  /** Peak resident set size (VmHWM), bytes. */
  hwm: number;
  /** User + system CPU seconds so far. */
  cpuSeconds: number;
}

const CLK_TCK = 100;

/** Memory and CPU of a live process from /proc (undefined once it is gone). */
export function procStats(pid: number): ProcStats | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which is in parentheses and may contain spaces).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    return { rss: kb('VmRSS'), hwm: kb('VmHWM'), cpuSeconds: (utime + stime) / CLK_TCK };
  } catch {
    return undefined;
  }
}
