import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { fingerprint } from './index.js';
import { murmur3_128, murmur3_32 } from './murmur3.js';
import { makeFilter, runFilter } from '../../testing/context.js';

const run = async (config: Record<string, unknown>, event: Record<string, unknown>) => runFilter(await makeFilter(fingerprint, config), event)[0];
const sha = (alg: string, s: string) => createHash(alg).update(s).digest('hex');

describe('fingerprint filter', () => {
  it('computes MurmurHash3 reference vectors', () => {
    const b = (s: string) => Buffer.from(s, 'utf8');
    expect(murmur3_32(b(''))).toBe(0);
    expect(murmur3_32(b(''), 1)).toBe(0x514e28b7);
    expect(murmur3_32(b('hello'))).toBe(613153351);
    expect(murmur3_32(b('The quick brown fox jumps over the lazy dog'))).toBe(0x2e4ff723);
    expect(murmur3_128(b('The quick brown fox jumps over the lazy dog')).toString('hex')).toBe('6c1b07bc7bbc4be347939ac4a93c437a');
    expect(murmur3_128(b('')).toString('hex')).toBe('00000000000000000000000000000000');
  });

  it('hashes message with SHA1 into @metadata.fingerprint by default', async () => {
    const out = await run({}, { message: 'hello' });
    expect(out['@metadata']).toEqual({ fingerprint: 'aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d' });
  });

  it('supports the other methods, HMAC keys and base64', async () => {
    expect((await run({ method: 'sha256', target: 'fp' }, { message: 'hello' })).fp).toBe(sha('sha256', 'hello'));
    expect((await run({ method: 'sha512', target: 'fp' }, { message: 'hello' })).fp).toBe(sha('sha512', 'hello'));
    expect((await run({ method: 'md5', target: 'fp' }, { message: 'hello' })).fp).toBe('5d41402abc4b2a76b9719d911017c592');
    expect((await run({ method: 'murmur3', target: 'fp' }, { message: 'hello' })).fp).toBe(613153351);
    expect((await run({ method: 'murmur3_128', target: 'fp' }, { message: 'The quick brown fox jumps over the lazy dog' })).fp).toBe('6c1b07bc7bbc4be347939ac4a93c437a');
    expect((await run({ method: 'sha256', key: 'secret', target: 'fp' }, { message: 'hello' })).fp).toBe(createHmac('sha256', 'secret').update('hello').digest('hex'));
    expect((await run({ method: 'sha1', base64: true, target: 'fp' }, { message: 'hello' })).fp).toBe(createHash('sha1').update('hello').digest('base64'));
  });

  it('concatenates sources in Logstash format, sorted by name', async () => {
    const out = await run({ sources: ['b', 'a', 'missing'], concatenateSources: true, method: 'sha256', target: 'fp' }, { a: 'x', b: 2 });
    expect(out.fp).toBe(sha('sha256', '|a|x|b|2|missing||'));
  });

  it('is independent of object key order, and hashes arrays element-wise', async () => {
    const f = await makeFilter(fingerprint, { sources: ['o'], method: 'sha256', target: 'fp' });
    const [a] = runFilter(f, { o: { x: 1, y: [1, { b: 2, a: 1 }] } });
    const [b] = runFilter(f, { o: { y: [1, { a: 1, b: 2 }], x: 1 } });
    expect(a.fp).toBe(b.fp);
    expect(a.fp).toBe(sha('sha256', '{"x":1,"y":[1,{"a":1,"b":2}]}'));
    const [arr] = runFilter(await makeFilter(fingerprint, { sources: ['l'], method: 'md5', target: 'fp' }), { l: ['hello', 'x'] });
    expect(arr.fp).toEqual(['5d41402abc4b2a76b9719d911017c592', sha('md5', 'x')]);
  });

  it('hashes all fields except @metadata', async () => {
    const f = await makeFilter(fingerprint, { concatenateAllFields: true, method: 'sha1' });
    const [a] = runFilter(f, { b: 1, a: 'x', '@metadata': { kafka: { offset: '1' } } });
    const [b] = runFilter(f, { a: 'x', b: 1, '@metadata': { kafka: { offset: '2' } } });
    expect((a['@metadata'] as Record<string, unknown>).fingerprint).toBe(sha('sha1', '|a|x|b|1|'));
    expect((b['@metadata'] as Record<string, unknown>).fingerprint).toBe((a['@metadata'] as Record<string, unknown>).fingerprint);
  });

  it('leaves events without the source alone', async () => {
    expect(await run({ target: 'fp' }, { other: 1 })).toEqual({ other: 1 });
  });
});
