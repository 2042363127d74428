import { describe, expect, it } from 'vitest';
import { urldecode } from './index.js';
import { makeFilter, runFilter } from '../../testing/context.js';

const run = async (config: Record<string, unknown>, event: Record<string, unknown>) => runFilter(await makeFilter(urldecode, config), event)[0];

describe('urldecode filter', () => {
  it('decodes message by default, UTF-8 included', async () => {
    expect(await run({}, { message: '/search?q=caf%C3%A9%20au+lait&x=%2F' })).toEqual({ message: '/search?q=café au+lait&x=/' });
  });

  it('decodes named fields and arrays, optionally + as space', async () => {
    const out = await run({ fields: ['url.query', 'list'], plusAsSpace: true }, { url: { query: 'a+b%21' }, list: ['%41', 5], message: '%41' });
    expect(out).toEqual({ url: { query: 'a b!' }, list: ['A', 5], message: '%41' });
  });

  it('decodes all fields except @timestamp and @metadata', async () => {
    const out = await run({ allFields: true }, { a: '%41', b: { c: ['%42'] }, '@metadata': { k: '%43' }, '@timestamp': '%44' });
    expect(out).toEqual({ a: 'A', b: { c: ['B'] }, '@metadata': { k: '%43' }, '@timestamp': '%44' });
  });

  it('tags malformed sequences and leaves the value unchanged', async () => {
    expect(await run({}, { message: '100%' })).toEqual({ message: '100%', tags: ['_urldecodefailure'] });
    expect(await run({}, { message: '%zz' })).toEqual({ message: '%zz', tags: ['_urldecodefailure'] });
    expect(await run({}, { message: '%C3%28' })).toEqual({ message: '%C3%28', tags: ['_urldecodefailure'] });
    expect((await run({ tagOnFailure: ['bad_url'] }, { message: '%E0%A4%A' })).tags).toEqual(['bad_url']);
    expect(await run({}, { message: 'plain' })).toEqual({ message: 'plain' });
  });
});
