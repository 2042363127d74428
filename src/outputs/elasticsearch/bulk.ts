/**
 * Classifying bulk results (design notes, "Delivery contract"): which outcomes settle an
 * item, which are retried, which are dead-lettered.
 */

export type ItemOutcome = 'indexed' | 'retry' | 'rejected';

export function classifyItem(status: number, opType: 'index' | 'create'): ItemOutcome {
  if (status >= 200 && status < 300) return 'indexed';
  // A `create` that finds the document already there means an earlier attempt indexed it.
  if (status === 409 && opType === 'create') return 'indexed';
  if (status === 429 || status >= 500) return 'retry';
  return 'rejected';
}

/**
 * Whole-request failures worth retrying: overload, gateway trouble, connection errors,
 * timeouts, and 401/403 for the whole request (credentials expired or rotated while running:
 * the records wait for the fix instead of all going to the dead-letter topic).
 */
export function isRetryableRequestError(err: unknown): boolean {
  const e = err as { name?: string; meta?: { statusCode?: number } };
  if (e.name === 'ConnectionError' || e.name === 'TimeoutError') return true;
  const status = e.meta?.statusCode;
  return status === 401 || status === 403 || status === 429 || status === 502 || status === 503 || status === 504;
}

/** Exponential backoff with full jitter: uniform in [0, min(max, base * 2^attempt)). */
export function backoffMs(attempt: number, baseMs: number, maxMs: number, random = Math.random): number {
  const cap = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 30));
  return Math.floor(random() * cap);
}

export interface BulkResponseItem {
  status: number;
  error?: { type?: string; reason?: string; caused_by?: { type?: string; reason?: string } };
}

export interface BulkResponse {
  errors: boolean;
  items: Record<string, BulkResponseItem>[];
}
