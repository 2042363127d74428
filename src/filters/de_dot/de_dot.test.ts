import { describe, expect, it } from 'vitest';
import { de_dot } from './index.js';
import { makeFilter, runFilter } from '../../testing/context.js';

const run = async (config: Record<string, unknown>, event: Record<string, unknown>) => runFilter(await makeFilter(de_dot, config), event)[0];

describe('de_dot filter', () => {
  it('replaces dots in top-level keys with _ by default, leaving @timestamp and @metadata alone', async () => {
    expect(await run({}, { 'a.b': 1, c: { 'd.e': 2 }, '@metadata': { 'x.y': 3 }, '@timestamp': 't' })).toEqual({ a_b: 1, c: { 'd.e': 2 }, '@metadata': { 'x.y': 3 }, '@timestamp': 't' });
  });

  it('goes into nested objects and arrays with recursive, with another separator', async () => {
    expect(await run({ recursive: true, separator: '__' }, { 'a.b': { 'c.d': [{ 'e.f': 1 }] } })).toEqual({ a__b: { c__d: [{ e__f: 1 }] } });
  });

  it('makes sub-objects with nested, merged into an object already there', async () => {
    expect(await run({ nested: true }, { 'host.name': 'h', host: { ip: '1.2.3.4' }, 'a.b.c': 1 })).toEqual({ host: { ip: '1.2.3.4', name: 'h' }, a: { b: { c: 1 } } });
    // a key with an empty segment cannot nest: it is renamed instead
    expect(await run({ nested: true }, { 'a..b': 1 })).toEqual({ a__b: 1 });
  });

  it('renames only the listed keys, in bracket form inside objects', async () => {
    expect(await run({ fields: ['x.y', '[kubernetes][labels][app.kubernetes.io/name]'] }, { 'x.y': 1, 'z.w': 2, kubernetes: { labels: { 'app.kubernetes.io/name': 'web' } } })).toEqual({
      x_y: 1, 'z.w': 2, kubernetes: { labels: { 'app_kubernetes_io/name': 'web' } },
    });
  });

  it('never reaches a prototype through a hostile key', async () => {
    const event = JSON.parse('{"__proto__.polluted": "yes", "constructor.prototype.x": 1}');
    const out = await run({ nested: true }, event);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getOwnPropertyNames(out)).toEqual(['__proto__', 'constructor']);
  });
});
