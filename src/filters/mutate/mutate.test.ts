import { describe, expect, it } from 'vitest';
import { mutate, rubyReplacement } from './index.js';
import { makeFilter, runFilter } from '../../testing/context.js';

const run = async (config: Record<string, unknown>, event: Record<string, unknown>) => runFilter(await makeFilter(mutate, config), event)[0];

describe('mutate filter', () => {
  it('renames, copies, replaces and updates', async () => {
    const out = await run(
      {
        rename: { clientip: 'source.ip', missing: 'nowhere' },
        copy: { 'source.ip': 'client.ip' },
        replace: { message: 'from %{source.ip}', fresh: 'new' },
        update: { status: 'S%{status}', absent: 'x' },
      },
      { clientip: '1.2.3.4', message: 'raw', status: 200 },
    );
    expect(out).toEqual({ source: { ip: '1.2.3.4' }, client: { ip: '1.2.3.4' }, message: 'from 1.2.3.4', fresh: 'new', status: 'S200' });
  });

  it('runs operations in the Logstash order, not the config order', async () => {
    // copy runs after rename and convert; addField after copy; removeField after addField.
    const out = await run(
      {
        removeField: ['tmp'],
        addField: { summary: '%{b}/%{c}' },
        copy: { b: 'c' },
        convert: { b: 'integer' },
        rename: { a: 'b' },
        addTag: ['t_%{b}'],
      },
      { a: '42.9', tmp: 1 },
    );
    expect(out).toEqual({ b: 42, c: 42, summary: '42/42', tags: ['t_42'] });
  });

  it('converts types, arrays included, and tags what cannot be converted', async () => {
    const out = await run(
      {
        convert: {
          i: 'integer', f: 'float', b1: 'boolean', b2: 'boolean', s: 'string', o: 'string', arr: 'integer',
          eu: 'float_eu', th: 'integer', n: 'integer',
        },
      },
      { i: ' -12.7 ', f: '3.5e2', b1: 'Yes', b2: 0, s: 12, o: { a: 1 }, arr: ['1', '2'], eu: '1.234,5', th: '1,000', n: null },
    );
    expect(out).toEqual({ i: -12, f: 350, b1: true, b2: false, s: '12', o: '{"a":1}', arr: [1, 2], eu: 1234.5, th: 1000, n: null });
    const bad = await run({ convert: { i: 'integer', b: 'boolean' } }, { i: 'abc', b: 'maybe' });
    expect(bad).toEqual({ i: 'abc', b: 'maybe', tags: ['_mutate_error'] });
  });

  it('gsubs with Logstash-style back references', async () => {
    const out = await run(
      {
        gsub: [
          { field: 'path', pattern: '/', replacement: '_' },
          { field: 'date', pattern: '(\\d+)-(\\d+)', replacement: '\\2.\\1 $1' },
          { field: 'list', pattern: '(?<w>o+)', replacement: '<\\k<w>>' },
        ],
      },
      { path: '/a/b/c', date: '2020-05', list: ['foo', 'bar', 3] },
    );
    expect(out).toEqual({ path: '_a_b_c', date: '05.2020 $1', list: ['f<oo>', 'bar', 3] });
    expect(rubyReplacement('a\\\\b')).toBe('a\\b');
  });

  it('changes case and strips', async () => {
    const out = await run(
      { uppercase: ['a'], lowercase: ['b'], capitalize: ['c', 'd'], strip: ['e'] },
      { a: 'get', b: ['POST', 'Put'], c: 'hELLO wORLD', d: 'élan', e: '  padded \t' },
    );
    expect(out).toEqual({ a: 'GET', b: ['post', 'put'], c: 'Hello world', d: 'Élan', e: 'padded' });
  });

  it('splits, joins and merges', async () => {
    const out = await run(
      { split: { csv: ',', words: ' ' }, join: { parts: '-' }, merge: { list: 'more', obj: 'obj2', single: 'x', created: 'x' } },
      { csv: 'a,b,,c,,', words: '  one  two\tthree ', parts: ['x', 1, true], list: ['a'], more: ['b', 'c'], obj: { a: 1 }, obj2: { b: 2 }, single: 's', x: 'y' },
    );
    expect(out.csv).toEqual(['a', 'b', '', 'c']);
    expect(out.words).toEqual(['one', 'two', 'three']);
    expect(out.parts).toBe('x-1-true');
    expect(out.list).toEqual(['a', 'b', 'c']);
    expect(out.obj).toEqual({ a: 1, b: 2 });
    expect(out.single).toEqual(['s', 'y']);
    expect(out.created).toEqual(['y']);
  });

  it('coerces null fields only', async () => {
    const out = await run({ coerce: { a: 'default', b: 'default', c: 'default' } }, { a: null, b: 'set' });
    expect(out).toEqual({ a: 'default', b: 'set' });
  });

  it('adds fields with templated names, appending to existing ones, and manages tags', async () => {
    const out = await run(
      {
        addField: { 'from_%{host}': 'yes', existing: 'second', multi: ['a', '%{host}'] },
        removeField: ['drop_%{host}', 'nested.gone'],
        addTag: ['seen', 'host_%{host}'],
        removeTag: ['old'],
      },
      { host: 'web1', existing: 'first', drop_web1: 1, nested: { gone: 1, kept: 2 }, tags: ['old', 'keep'] },
    );
    expect(out).toEqual({
      host: 'web1',
      from_web1: 'yes',
      existing: ['first', 'second'],
      multi: ['a', 'web1'],
      nested: { kept: 2 },
      tags: ['keep', 'seen', 'host_web1'],
    });
  });

  it('never pollutes prototypes through templated names', async () => {
    const f = await makeFilter(mutate, { addField: { '%{k}.polluted': 'yes' }, removeField: ['%{k}'] });
    const [out] = runFilter(f, { k: '__proto__' });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(out).toEqual({ k: '__proto__' });
    await expect(makeFilter(mutate, { rename: { __proto__x: 'constructor' } })).rejects.toThrow(/not allowed/);
  });

  it('rejects an invalid gsub pattern at create()', async () => {
    await expect(makeFilter(mutate, { gsub: [{ field: 'a', pattern: '(unclosed', replacement: '' }] })).rejects.toThrow(/invalid gsub pattern/);
    await expect(makeFilter(mutate, { convert: { a: 'number' } })).rejects.toThrow(/invalid mutate config/);
  });

  it('removes top-level fields by handing on a copy without them, in order with the other operations', async () => {
    const f = await makeFilter(mutate, { addField: { added: 'a' }, removeField: ['timestamp', 'tags', 'absent', 'nested.x'], addTag: ['t'] });
    const event = { message: 'm', timestamp: 'ts', tags: ['old'], nested: { x: 1, y: 2 }, '@metadata': { kafka: { offset: '1' } } };
    const [out] = runFilter(f, event);
    expect(out).toEqual({ message: 'm', nested: { y: 2 }, '@metadata': { kafka: { offset: '1' } }, added: 'a', tags: ['t'] });
    expect(Object.keys(out)).toEqual(['message', 'nested', '@metadata', 'added', 'tags']);
    // nothing to remove: the same event goes on, changed in place
    const same = { message: 'n' };
    expect(f.process(same)).toBeUndefined();
    expect(same).toEqual({ message: 'n', added: 'a', tags: ['t'] });
  });

  it('keeps a data key named __proto__ as an own property when copying', async () => {
    const f = await makeFilter(mutate, { removeField: ['gone'] });
    const event = JSON.parse('{"__proto__": {"polluted": true}, "gone": 1, "kept": 2}');
    const [out] = runFilter(f, event);
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.keys(out)).toEqual(['__proto__', 'kept']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
