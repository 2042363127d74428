/**
 * One behaviour for every dependency a pipeline waits for at start (Kafka brokers, a topic,
 * Elasticsearch): stay up, say once what is missing, why and how to fix it, keep trying, and
 * start by itself when it appears. A permanent problem (rejected credentials, an untrusted
 * certificate: a UserError) ends the wait at once, so `sluice run` exits 1 with one line.
 *
 * The warning repeats at a slow, bounded rate (after 1 min, then doubling up to 10 min), or at
 * once when the problem changes (Kafka reachable now, but the topic still missing). Every
 * attempt in between is logged at debug. A stop (the AbortSignal) ends any wait at once.
 */
import type { Logger } from 'pino';
import { isUserFacing } from './user-error.js';
import type { ComponentMetrics } from '../observe/observer.js';

/** What is missing, as one warning: the thing by name, the likely cause, the fix. */
export interface Unavailable {
  /** The thing, by name: `Kafka topic "web-access"`, `Elasticsearch http://es:9200`. */
  what: string;
  /** What was seen and what it likely means. */
  cause: string;
  /** What to do. */
  fix: string;
}

/** A start cut short by a stop: not an error, the pipeline just never ran. */
export class StartAborted extends Error {
  constructor() {
    super('stopped while starting');
    this.name = 'StartAborted';
  }
}

export function isStartAborted(err: unknown): boolean {
  return err instanceof Error && err.name === 'StartAborted';
}

export interface WaitOptions {
  logger: Logger;
  signal?: AbortSignal;
  metrics?: ComponentMetrics;
  /** Which dependency this wait is about, for /readyz (`kafka`, `elasticsearch`, `dead-letter`). */
  dependency: string;
  /** The pipeline file, for the `sluice doctor` hint. */
  pipelineFile?: string;
  /** Turns a failed attempt into the warning; errors that are UserErrors never get here. */
  explain: (err: unknown) => Unavailable;
  /** Delay between attempts: from `minDelayMs`, doubling up to `maxDelayMs`. */
  minDelayMs?: number;
  maxDelayMs?: number;
  /** First repeat of an unchanged warning; later repeats double up to `maxRepeatMs`. */
  repeatMs?: number;
  maxRepeatMs?: number;
}

/** Resolves after `ms`, or rejects with StartAborted as soon as `signal` aborts. */
export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(new StartAborted());
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(new StartAborted());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** `promise`, or StartAborted as soon as `signal` aborts (the promise itself runs on). */
export function unlessAborted<T>(promise: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) {
    promise.catch(() => undefined);
    return Promise.reject(new StartAborted());
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new StartAborted());
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

/** The one-line warning text of a wait. */
export function describeUnavailable(u: Unavailable, pipelineFile?: string): string {
  const doctor = pipelineFile ? `sluice doctor ${pipelineFile}` : 'sluice doctor <pipeline file>';
  return `${u.what}: ${u.cause}; ${u.fix}; diagnose with: ${doctor}. Waiting, and starting by itself once it is available`;
}

/**
 * Runs `attempt` until it succeeds. Throws what `attempt` throws when it is a UserError (a
 * permanent problem), StartAborted on a stop; everything else is waited out.
 */
export async function untilAvailable<T>(attempt: () => Promise<T>, opts: WaitOptions): Promise<T> {
  const minDelay = opts.minDelayMs ?? 1000;
  const maxDelay = opts.maxDelayMs ?? 10_000;
  const firstRepeat = opts.repeatMs ?? 60_000;
  const maxRepeat = opts.maxRepeatMs ?? 600_000;
  let delay = minDelay;
  let warned: { key: string; at: number; repeatMs: number } | undefined;
  const since = Date.now();
  for (;;) {
    if (opts.signal?.aborted) throw new StartAborted();
    try {
      const result = await unlessAborted(attempt(), opts.signal);
      if (warned) {
        opts.logger.info({ dependency: opts.dependency, waitedMs: Date.now() - since }, `${opts.dependency} available after ${Math.round((Date.now() - since) / 1000)} s of waiting; starting`);
      }
      opts.metrics?.waiting(opts.dependency, undefined);
      return result;
    } catch (err) {
      if (isStartAborted(err) || opts.signal?.aborted) throw new StartAborted();
      if (isUserFacing(err)) throw err;
      const u = opts.explain(err);
      const text = describeUnavailable(u, opts.pipelineFile);
      opts.metrics?.waiting(opts.dependency, `${u.what}: ${u.cause}`);
      const now = Date.now();
      // The same thing missing for the same reason: an error text that varies a little
      // (a timeout's duration) is not a new problem.
      const key = `${u.what}\n${u.fix}`;
      if (!warned || warned.key !== key || now - warned.at >= warned.repeatMs) {
        const repeatMs = warned && warned.key === key ? Math.min(maxRepeat, warned.repeatMs * 2) : firstRepeat;
        opts.logger.warn({ dependency: opts.dependency, waiting: u.what, cause: u.cause, fix: u.fix, waitedMs: now - since, nextWarningInMs: repeatMs }, text);
        warned = { key, at: now, repeatMs };
      } else {
        opts.logger.debug({ dependency: opts.dependency, err: (err as Error).message, retryInMs: delay }, `still waiting for ${u.what}`);
      }
    }
    await abortableSleep(delay, opts.signal);
    delay = Math.min(maxDelay, delay * 2);
  }
}
