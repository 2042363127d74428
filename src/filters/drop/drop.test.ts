import { afterEach, describe, expect, it, vi } from 'vitest';
import { drop } from './index.js';
import { makeFilter, runFilter } from '../../testing/context.js';

describe('drop filter', () => {
  afterEach(() => vi.restoreAllMocks());

  it('drops every event by default', async () => {
    const f = await makeFilter(drop, {});
    expect(f.process({ message: 'x' })).toBeNull();
    expect(runFilter(f, { message: 'x' })).toEqual([]);
  });

  it('keeps every event at 0 percent', async () => {
    const f = await makeFilter(drop, { percentage: 0 });
    expect(runFilter(f, { message: 'x' })).toEqual([{ message: 'x' }]);
  });

  it('samples by percentage', async () => {
    const f = await makeFilter(drop, { percentage: 25 });
    const random = vi.spyOn(Math, 'random');
    random.mockReturnValueOnce(0.1).mockReturnValueOnce(0.3);
    expect(f.process({})).toBeNull();
    expect(f.process({})).toBeUndefined();
    random.mockRestore();
    let kept = 0;
    for (let i = 0; i < 10_000; i++) if (f.process({}) === undefined) kept++;
    expect(kept).toBeGreaterThan(7000);
    expect(kept).toBeLessThan(8000);
  });

  it('validates the percentage', async () => {
    await expect(makeFilter(drop, { percentage: 150 })).rejects.toThrow(/invalid drop config/);
  });
});
