/**
 * What `sluice doctor` asks of each component: every input and output brings its own checks
 * (as it brings its own config schema), and reports each one as PASS, WARN or FAIL with a
 * one-line fix hint. doctor only runs them and prints the report.
 */
import type { Logger } from 'pino';
import type { DeadLetterConfig } from './component.js';

export type Status = 'PASS' | 'WARN' | 'FAIL';

export interface CheckResult {
  status: Status;
  check: string;
  detail: string;
  hint?: string;
}


/** Where checks report; doctor prints each result as it comes. */
export class DiagnosticReport {
  readonly results: CheckResult[] = [];
  constructor(private readonly write: (s: string) => void) {}

  add(status: Status, check: string, detail: string, hint?: string): void {
    this.results.push({ status, check, detail, hint });
    this.write(`${status}  ${check}: ${detail}\n`);
    if (hint && status !== 'PASS') this.write(`      fix: ${hint}\n`);
  }
  pass(check: string, detail: string) {
    this.add('PASS', check, detail);
  }
  warn(check: string, detail: string, hint: string) {
    this.add('WARN', check, detail, hint);
  }
  fail(check: string, detail: string, hint: string) {
    this.add('FAIL', check, detail, hint);
  }
  count(s: Status): number {
    return this.results.filter((r) => r.status === s).length;
  }
}

/** What a component's checks get besides their own config. */
export interface DiagnosticContext {
  report: DiagnosticReport;
  /** Time allowed for one network step (connect, one request). */
  timeoutMs: number;
  /** For debug output of client libraries (silent unless --log-level). */
  logger: Logger;
  /** The pipeline's dead-letter topic (the Kafka input checks it can be written). */
  deadLetter: DeadLetterConfig;
}

/** Rejects after `ms` with "<what> timed out after <ms> ms". */
export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
    }),
  ]);
}

/** An error as one line: the Kafka/HTTP error type (when it says more than the name) and the message. */
export function errorText(err: unknown): string {
  const e = err as { message?: string; type?: string; name?: string };
  return [e.type && e.type !== e.name ? e.type : undefined, e.message ?? String(err)].filter(Boolean).join(': ');
}
