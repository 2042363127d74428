import { describe, expect, it } from 'vitest';
import { uuid } from './index.js';
import { makeFilter, runFilter } from '../../testing/context.js';

const V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('uuid filter', () => {
  it('sets a fresh v4 UUID in the target, a different one per event', async () => {
    const f = await makeFilter(uuid, { target: 'event.id', addTag: ['has_uuid'] });
    const a = runFilter(f, {})[0];
    const b = runFilter(f, {})[0];
    expect((a.event as { id: string }).id).toMatch(V4);
    expect((a.event as { id: string }).id).not.toBe((b.event as { id: string }).id);
    expect(a.tags).toEqual(['has_uuid']);
  });

  it('keeps an existing value unless overwrite is set', async () => {
    expect(runFilter(await makeFilter(uuid, { target: 'uid', addTag: ['x'] }), { uid: 'keep' })[0]).toEqual({ uid: 'keep' });
    expect(runFilter(await makeFilter(uuid, { target: '[uid]', overwrite: true }), { uid: 'keep' })[0].uid).toMatch(V4);
  });
});
