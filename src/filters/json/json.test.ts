import { describe, expect, it } from 'vitest';
import { json, jsonTooDeep } from './index.js';
import { makeFilter, runFilter } from '../../testing/context.js';

describe('json filter', () => {
  it('merges a JSON object into the event root', async () => {
    const f = await makeFilter(json, {});
    const [out] = runFilter(f, { message: '{"level":"info","http":{"status":200},"n":[1,2]}', keep: true });
    expect(out).toEqual({ message: '{"level":"info","http":{"status":200},"n":[1,2]}', keep: true, level: 'info', http: { status: 200 }, n: [1, 2] });
  });

  it('writes to a target and can remove the source', async () => {
    const f = await makeFilter(json, { field: 'payload', target: 'doc.body', removeSource: true });
    const [out] = runFilter(f, { payload: '[1,"two",null]' });
    expect(out).toEqual({ doc: { body: [1, 'two', null] } });
    const same = await makeFilter(json, { field: 'payload', target: 'payload', removeSource: true });
    expect(runFilter(same, { payload: '{"a":1}' })[0]).toEqual({ payload: { a: 1 } });
  });

  it('tags invalid JSON and non-object roots', async () => {
    const f = await makeFilter(json, {});
    expect(runFilter(f, { message: '{"a":' })[0].tags).toEqual(['_jsonparsefailure']);
    expect(runFilter(f, { message: '[1,2]' })[0]).toEqual({ message: '[1,2]', tags: ['_jsonparsefailure'] });
    expect(runFilter(f, { message: '42' })[0].tags).toEqual(['_jsonparsefailure']);
    expect(runFilter(f, { message: 12 })[0].tags).toEqual(['_jsonparsefailure']);
    expect(runFilter(f, { other: 1 })[0]).toEqual({ other: 1 });
    expect(runFilter(f, { message: '   ' })[0]).toEqual({ message: '   ' });
    const skip = await makeFilter(json, { skipOnInvalidJson: true });
    expect(runFilter(skip, { message: 'nope' })[0]).toEqual({ message: 'nope' });
    const custom = await makeFilter(json, { tagOnFailure: ['bad_json'] });
    expect(runFilter(custom, { message: 'nope' })[0].tags).toEqual(['bad_json']);
  });

  it('refuses documents nested deeper than maxDepth without crashing', async () => {
    const f = await makeFilter(json, { target: 'doc' });
    const deepArray = '['.repeat(100_000) + ']'.repeat(100_000);
    const deepObject = '{"a":'.repeat(100_000) + '1' + '}'.repeat(100_000);
    expect(runFilter(f, { message: deepArray })[0].tags).toEqual(['_jsonparsefailure']);
    expect(runFilter(f, { message: deepObject })[0].tags).toEqual(['_jsonparsefailure']);
    const unbalanced = '['.repeat(200_000);
    expect(runFilter(f, { message: unbalanced })[0].tags).toEqual(['_jsonparsefailure']);

    const ok = '['.repeat(64) + ']'.repeat(64);
    expect(runFilter(f, { message: ok })[0].tags).toBeUndefined();
    const tooDeep = '['.repeat(65) + ']'.repeat(65);
    expect(runFilter(f, { message: tooDeep })[0].tags).toEqual(['_jsonparsefailure']);
    const f3 = await makeFilter(json, { target: 'doc', maxDepth: 3 });
    expect(runFilter(f3, { message: '{"a":{"b":{"c":1}}}' })[0].doc).toEqual({ a: { b: { c: 1 } } });
    expect(runFilter(f3, { message: '{"a":{"b":{"c":[1]}}}' })[0].tags).toEqual(['_jsonparsefailure']);
  });

  it('does not count brackets inside strings', () => {
    expect(jsonTooDeep('{"a":"' + '['.repeat(500) + '\\"[[["}', 2)).toBe(false);
    expect(jsonTooDeep('[[[' + ' '.repeat(10) + ']]]', 2)).toBe(true);
  });

  it('cannot pollute prototypes through hostile keys', async () => {
    const f = await makeFilter(json, {});
    const [out] = runFilter(f, { message: '{"__proto__":{"polluted":true},"constructor":{"prototype":{"x":1}},"a.b":1}' });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect((out as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype.hasOwnProperty.call(out, '__proto__')).toBe(true);
    expect(out['a.b']).toBe(1);
  });

  it('validates a parsed @timestamp like Logstash', async () => {
    const f = await makeFilter(json, {});
    expect(runFilter(f, { message: '{"@timestamp":"2020-01-02T03:04:05.678+01:00"}' })[0]['@timestamp']).toBe('2020-01-02T02:04:05.678Z');
    const [bad] = runFilter(f, { message: '{"@timestamp":"yesterday"}', '@timestamp': '2020-01-01T00:00:00.000Z' });
    expect(bad['@timestamp']).toBe('2020-01-01T00:00:00.000Z');
    expect(bad['_@timestamp']).toBe('yesterday');
    expect(bad.tags).toEqual(['_timestampparsefailure']);
  });
});
