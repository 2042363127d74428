import { describe, expect, it } from 'vitest';
import { backoffMs, classifyItem, isRetryableRequestError } from './bulk.js';

describe('bulk item classification', () => {
  it('settles 2xx and a 409 on create', () => {
    expect(classifyItem(201, 'index')).toBe('indexed');
    expect(classifyItem(200, 'create')).toBe('indexed');
    expect(classifyItem(409, 'create')).toBe('indexed');
    expect(classifyItem(409, 'index')).toBe('rejected');
  });
  it('retries 429 and 5xx, rejects other 4xx', () => {
    expect(classifyItem(429, 'index')).toBe('retry');
    expect(classifyItem(503, 'index')).toBe('retry');
    expect(classifyItem(400, 'index')).toBe('rejected');
    expect(classifyItem(404, 'index')).toBe('rejected');
    expect(classifyItem(413, 'index')).toBe('rejected');
  });
  it('retries whole requests on overload, gateway errors, connection errors and timeouts', () => {
    expect(isRetryableRequestError({ name: 'ConnectionError' })).toBe(true);
    expect(isRetryableRequestError({ name: 'TimeoutError' })).toBe(true);
    for (const s of [429, 502, 503, 504]) expect(isRetryableRequestError({ name: 'ResponseError', meta: { statusCode: s } })).toBe(true);
    expect(isRetryableRequestError({ name: 'ResponseError', meta: { statusCode: 400 } })).toBe(false);
  });
  it('backs off exponentially with full jitter, capped', () => {
    expect(backoffMs(0, 100, 30000, () => 0.999)).toBe(99);
    expect(backoffMs(3, 100, 30000, () => 0.5)).toBe(400);
    expect(backoffMs(20, 100, 30000, () => 0.999)).toBe(29970);
    expect(backoffMs(5, 100, 30000, () => 0)).toBe(0);
  });
});
