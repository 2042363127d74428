import { describe, expect, it } from 'vitest';
import { truncate, truncateUtf8 } from './index.js';
import { makeFilter, runFilter } from '../../testing/context.js';

describe('truncate filter', () => {
  it('cuts at UTF-8 byte boundaries, never inside a character', () => {
    expect(truncateUtf8('abcdef', 3)).toBe('abc');
    expect(truncateUtf8('héllo', 2)).toBe('h'); // é is 2 bytes
    expect(truncateUtf8('héllo', 3)).toBe('hé');
    expect(truncateUtf8('日本語', 5)).toBe('日'); // 3 bytes each
    expect(truncateUtf8('日本語', 6)).toBe('日本');
    expect(truncateUtf8('a😀b', 4)).toBe('a'); // emoji is 4 bytes (a surrogate pair)
    expect(truncateUtf8('a😀b', 5)).toBe('a😀');
    expect(truncateUtf8('short', 100)).toBe('short');
    for (let n = 1; n < 30; n++) {
      const out = truncateUtf8('añ日😀'.repeat(5), n);
      expect(Buffer.byteLength(out)).toBeLessThanOrEqual(n);
      expect(Buffer.from(out).toString('utf8')).toBe(out);
      expect(out).not.toMatch(/\uFFFD/);
    }
  });

  it('truncates the named fields, nested strings included', async () => {
    const f = await makeFilter(truncate, { lengthBytes: 4, fields: ['message', 'list', 'obj'] });
    const [out] = runFilter(f, { message: 'hello world', list: ['abcdef', 1], obj: { a: 'xyzxyz' }, other: 'untouched' });
    expect(out).toEqual({ message: 'hell', list: ['abcd', 1], obj: { a: 'xyzx' }, other: 'untouched' });
  });

  it('truncates every string except @timestamp and @metadata by default', async () => {
    const f = await makeFilter(truncate, { lengthBytes: 2 });
    const [out] = runFilter(f, { '@timestamp': '2020-01-01T00:00:00.000Z', '@metadata': { k: 'long' }, a: 'abc', b: { c: 'def' }, n: 12345 });
    expect(out).toEqual({ '@timestamp': '2020-01-01T00:00:00.000Z', '@metadata': { k: 'long' }, a: 'ab', b: { c: 'de' }, n: 12345 });
  });

  it('requires a positive length', async () => {
    await expect(makeFilter(truncate, { lengthBytes: 0 })).rejects.toThrow(/invalid truncate config/);
  });
});
