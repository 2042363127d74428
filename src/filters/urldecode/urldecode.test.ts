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

  it("takes Logstash's single `field`, alongside `fields`", async () => {
    expect(await run({ field: 'url.original' }, { url: { original: '%41' }, message: '%41' })).toEqual({ url: { original: 'A' }, message: '%41' });
    expect(await run({ field: 'a', fields: ['b'] }, { a: '%41', b: '%42', message: '%43' })).toEqual({ a: 'A', b: 'B', message: '%43' });
  });

  it('decodes the bytes in another charset', async () => {
    // %E9 is é in windows-1252 / Latin-1, invalid as UTF-8
    expect(await run({ charset: 'cp1252' }, { message: 'caf%E9+cr%E8me %80' })).toEqual({ message: 'café+crème €' });
    expect(await run({ charset: 'ISO-8859-1' }, { message: '100%' })).toEqual({ message: '100%', tags: ['_urldecodefailure'] });
    expect(await run({}, { message: 'caf%E9' })).toEqual({ message: 'caf%E9', tags: ['_urldecodefailure'] });
    await expect(makeFilter(urldecode, { charset: 'klingon' })).rejects.toThrow(/unknown charset "klingon"/);
  });

  it('runs the success actions only when every value decoded', async () => {
    expect((await run({ addTag: ['decoded'] }, { message: '%41' })).tags).toEqual(['decoded']);
    expect((await run({ addTag: ['decoded'] }, { message: '%zz' })).tags).toEqual(['_urldecodefailure']);
  });
});
