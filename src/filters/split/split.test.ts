import { describe, expect, it } from 'vitest';
import { split } from './index.js';
import { makeFilter, runFilter } from '../../testing/context.js';

describe('split filter', () => {
  it('splits an array field into one event per element, deep-copying the rest', async () => {
    const f = await makeFilter(split, { field: 'items' });
    const events = runFilter(f, { id: 1, meta: { a: [1] }, items: [{ n: 1 }, { n: 2 }, 'three'] });
    expect(events).toEqual([
      { id: 1, meta: { a: [1] }, items: { n: 1 } },
      { id: 1, meta: { a: [1] }, items: { n: 2 } },
      { id: 1, meta: { a: [1] }, items: 'three' },
    ]);
    (events[0].meta as { a: number[] }).a.push(2);
    expect(events[1].meta).toEqual({ a: [1] });
    expect(events[2].meta).toEqual({ a: [1] });
  });

  it('splits multi-line strings, skipping empty lines', async () => {
    const f = await makeFilter(split, {});
    // from /work/shared/corpus/loghub/Linux
    const message = 'Jun 14 15:16:01 combo sshd(pam_unix)[19939]: check pass; user unknown\n\nJun 14 15:16:02 combo sshd(pam_unix)[19937]: check pass; user unknown\n';
    const events = runFilter(f, { message, host: 'h' });
    expect(events).toEqual([
      { message: 'Jun 14 15:16:01 combo sshd(pam_unix)[19939]: check pass; user unknown', host: 'h' },
      { message: 'Jun 14 15:16:02 combo sshd(pam_unix)[19937]: check pass; user unknown', host: 'h' },
    ]);
  });

  it('uses a custom terminator and a target', async () => {
    const f = await makeFilter(split, { field: 'csv', terminator: ';', target: 'item' });
    const events = runFilter(f, { csv: 'a;b' });
    expect(events).toEqual([
      { csv: 'a;b', item: 'a' },
      { csv: 'a;b', item: 'b' },
    ]);
  });

  it('leaves unsplittable strings alone, drops empty arrays, tags other types', async () => {
    const f = await makeFilter(split, { field: 'x' });
    expect(f.process({ x: 'one line' })).toBeUndefined();
    expect(runFilter(f, { x: [] })).toEqual([]);
    expect(runFilter(f, { x: ['only'] })).toEqual([{ x: 'only' }]);
    expect(runFilter(f, { x: 5 })).toEqual([{ x: 5, tags: ['_split_type_failure'] }]);
    expect(runFilter(f, { y: 1 })).toEqual([{ y: 1 }]);
  });
});
