import { describe, expect, it } from 'vitest';
import { kv } from './index.js';
import { makeFilter, runFilter } from '../../testing/context.js';

const run = async (config: Record<string, unknown>, event: Record<string, unknown>) => runFilter(await makeFilter(kv, config), event)[0];

describe('kv filter', () => {
  it('parses pairs from message into the root, with quoted and bracketed values', async () => {
    const message = 'ip=1.2.3.4 error=REFUSED user="John Smith" note=\'a b\' list=[x y] grp=(p q) tag=<t 1> eq=a=b lone';
    const out = await run({}, { message });
    expect(out).toEqual({
      message,
      ip: '1.2.3.4',
      error: 'REFUSED',
      user: 'John Smith',
      note: 'a b',
      list: 'x y',
      grp: 'p q',
      tag: 't 1',
      eq: 'a=b',
    });
  });

  it('parses a Linux syslog tail (loghub) and skips empty values', async () => {
    const message = 'authentication failure; logname= uid=0 euid=0 tty=NODEVssh ruser= rhost=218.188.2.4 ';
    const out = await run({ target: 'auth' }, { message });
    expect(out.auth).toEqual({ uid: '0', euid: '0', tty: 'NODEVssh', rhost: '218.188.2.4' });
    const withEmpty = await run({ target: 'auth', allowEmptyValues: true }, { message });
    expect(withEmpty.auth).toMatchObject({ logname: '', ruser: '' });
  });

  it('splits query strings with custom separators and patterns', async () => {
    expect((await run({ field: 'q', fieldSplit: '&?', target: 'p' }, { q: '?a=1&b=2&&c=3' })).p).toEqual({ a: '1', b: '2', c: '3' });
    const out = await run({ fieldSplitPattern: ', *', valueSplitPattern: ' *: *', target: 'p' }, { message: 'a : 1,  b:2,c :3' });
    expect(out.p).toEqual({ a: '1', b: '2', c: '3' });
  });

  it('keeps unmatched brackets as plain values and disables brackets on request', async () => {
    expect((await run({ target: 'p' }, { message: 'a=[x y b=2' })).p).toEqual({ a: '[x', b: '2' });
    expect((await run({ target: 'p', includeBrackets: false }, { message: 'a=[x] b=(y)' })).p).toEqual({ a: '[x]', b: '(y)' });
    expect((await run({ target: 'p' }, { message: 'a="x"y b=1' })).p).toEqual({ a: '"x"y', b: '1' });
  });

  it('filters, prefixes, trims and transforms keys and values', async () => {
    const out = await run(
      { includeKeys: ['a', 'b', 'c'], excludeKeys: ['b'], prefix: 'kv_', trimKey: '<>', trimValue: ',;', transformKey: 'uppercase', transformValue: 'lowercase' },
      { message: '<a>=X, b=Y c=;Z; d=W' },
    );
    // include/exclude are compared after trimming and transforming
    expect(out).toEqual({ message: '<a>=X, b=Y c=;Z; d=W' });
    const ok = await run({ includeKeys: ['A', 'C'], prefix: 'kv_', trimKey: '<>', trimValue: ',;', transformKey: 'uppercase', transformValue: 'lowercase' }, { message: '<a>=X, b=Y c=;Z; d=W' });
    expect(ok).toMatchObject({ kv_A: 'x', kv_C: 'z' });
    expect(ok.kv_B).toBeUndefined();
  });

  it('collects duplicate keys into arrays', async () => {
    expect((await run({ target: 'p' }, { message: 'a=1 a=2 a=1' })).p).toEqual({ a: ['1', '2', '1'] });
    expect((await run({ target: 'p', allowDuplicateValues: false }, { message: 'a=1 a=2 a=1 b=3 b=3' })).p).toEqual({ a: ['1', '2'], b: '3' });
  });

  it('adds default keys, leaves events without pairs unchanged, tags non-strings', async () => {
    expect((await run({ target: 'p', defaultKeys: { a: 'none', z: 'zz' } }, { message: 'a=1' })).p).toEqual({ a: '1', z: 'zz' });
    expect(await run({ target: 'p' }, { message: 'no pairs here' })).toEqual({ message: 'no pairs here' });
    expect((await run({}, { message: { a: 1 } })).tags).toEqual(['_kv_filter_error']);
  });

  it('cannot pollute prototypes and stays linear on hostile input', async () => {
    const out = await run({}, { message: '__proto__=x constructor=y a.b=1' });
    expect(({} as Record<string, unknown>).x).toBeUndefined();
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(out['a.b']).toBe('1');
    const f = await makeFilter(kv, { target: 'p' });
    const hostile = 'a="x '.repeat(50_000) + 'a'.repeat(200_000);
    const t0 = performance.now();
    runFilter(f, { message: hostile });
    runFilter(f, { message: '('.repeat(100_000) + '=' + '[' .repeat(100_000) });
    expect(performance.now() - t0).toBeLessThan(2000);
  });

  it('rejects bad patterns at create()', async () => {
    await expect(makeFilter(kv, { fieldSplitPattern: '(' })).rejects.toThrow(/invalid fieldSplitPattern/);
    await expect(makeFilter(kv, { valueSplitPattern: ' *' })).rejects.toThrow(/empty string/);
  });
});
