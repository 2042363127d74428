import { describe, expect, it } from 'vitest';
import { json_encode } from './index.js';
import { makeFilter, runFilter } from '../../testing/context.js';

const run = async (config: Record<string, unknown>, event: Record<string, unknown>) => runFilter(await makeFilter(json_encode, config), event)[0];

describe('json_encode filter', () => {
  it('serializes a field in place', async () => {
    expect(await run({ source: 'foo' }, { foo: { a: 1, b: ['x', null] } })).toEqual({ foo: '{"a":1,"b":["x",null]}' });
    expect(await run({ source: 'n' }, { n: 'text' })).toEqual({ n: '"text"' });
  });

  it('writes into target, keeping the source, and runs the success actions', async () => {
    expect(await run({ source: '[a][b]', target: 'encoded.b', addTag: ['encoded'] }, { a: { b: [1, 2] } })).toEqual({ a: { b: [1, 2] }, encoded: { b: '[1,2]' }, tags: ['encoded'] });
  });

  it('leaves the event alone when the field is missing', async () => {
    expect(await run({ source: 'missing', addTag: ['encoded'] }, { x: 1 })).toEqual({ x: 1 });
  });
});
