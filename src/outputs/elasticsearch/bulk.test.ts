import { describe, expect, it } from 'vitest';
import { errors } from '@elastic/transport';
import { backoffMs, bulkResponseOf, classifyItem, isRetryableRequestError } from './bulk.js';

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

describe('a client error about a 2xx bulk answer', () => {
  const items = [{ index: { status: 201 } }, { index: { status: 400, error: { type: 'mapper_parsing_exception' } } }];
  it('yields the executed response (its items decide), e.g. the product check of the Elastic client', () => {
    const err = new errors.ProductNotSupportedError('Elasticsearch', { body: { errors: true, items }, statusCode: 200, headers: {}, warnings: null, meta: {} as never });
    expect(bulkResponseOf(err)).toEqual({ errors: true, items });
  });
  it('yields nothing for real failures', () => {
    expect(bulkResponseOf(new errors.ResponseError({ body: { error: 'x' }, statusCode: 503, headers: {}, warnings: null, meta: {} as never }))).toBeUndefined();
    expect(bulkResponseOf(new errors.ConnectionError('down'))).toBeUndefined();
  });
});
