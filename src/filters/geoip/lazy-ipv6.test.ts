// Its own file: the bundled database is loaded once per process (module state), and this
// test must see it before any IPv6 address was looked up.
import { describe, expect, it } from 'vitest';
import { geoip, loadDatabase } from './index.js';
import { makeFilter, runFilter } from '../../testing/context.js';

describe('geoip: the bundled IPv6 tree is read on the first IPv6 address', () => {
  it('stays unread through start-up and IPv4 traffic, then answers IPv6 addresses', async () => {
    const db = await loadDatabase(undefined);
    const f = await makeFilter(geoip, { field: 'source.ip' });
    const [v4] = runFilter(f, { source: { ip: '8.8.8.8' } });
    expect((v4.source as Record<string, Record<string, unknown>>).geo.country_iso_code).toBe('US');
    // 71 MB of RSS that an IPv4-only stream never needs (docs/performance.md).
    expect(db.ipv6Loaded?.()).toBe(false);
    const [v6] = runFilter(f, { source: { ip: '2001:4860:4860::8888' } });
    expect((v6.source as Record<string, Record<string, unknown>>).geo.country_iso_code).toEqual(expect.stringMatching(/^[A-Z]{2}$/));
    expect(db.ipv6Loaded?.()).toBe(true);
  });
});
