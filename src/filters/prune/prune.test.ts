import { describe, expect, it } from 'vitest';
import { prune } from './index.js';
import { makeFilter, runFilter } from '../../testing/context.js';

const run = async (config: Record<string, unknown>, event: Record<string, unknown>) => runFilter(await makeFilter(prune, config), event)[0];
const base = { '@timestamp': 't', '@metadata': { kafka: {} } };

describe('prune filter', () => {
  it('keeps only whitelisted names (unanchored regexes) and never @timestamp/@metadata', async () => {
    expect(await run({ whitelistNames: ['^msg$', 'host'] }, { ...base, msg: 1, msg2: 2, hostname: 'h', other: 3 })).toEqual({ ...base, msg: 1, hostname: 'h' });
  });

  it('removes names left with an unresolved %{…} by default, and blacklisted names', async () => {
    expect(await run({}, { ...base, '%{unknown}': 1, ok: 2 })).toEqual({ ...base, ok: 2 });
    expect(await run({ blacklistNames: ['^tmp_'] }, { tmp_a: 1, tmpb: 2 })).toEqual({ tmpb: 2 });
  });

  it('filters values of the named fields, element by element for arrays (Logstash docs examples)', async () => {
    const config = { whitelistValues: { uripath: '/index.php' }, blacklistValues: { method: 'HEAD', codes: ['^5', '^4'] } };
    expect(await run(config, { uripath: '/index.php?x', method: 'GET', codes: ['200', '404', '503', '302'] })).toEqual({ uripath: '/index.php?x', method: 'GET', codes: ['200', '302'] });
    expect(await run(config, { uripath: '/admin', method: 'HEAD', codes: 500 })).toEqual({});
    expect(await run({ whitelistValues: { tags: '^keep' } }, { tags: ['keep_me', 'drop_me'] })).toEqual({ tags: ['keep_me'] });
  });

  it('renders names and patterns per event with interpolate', async () => {
    const config = { interpolate: true, whitelistNames: ['^%{[@metadata][keep]}$', '@metadata'], blacklistValues: { '%{[@metadata][check]}': '%{[@metadata][bad]}' } };
    const out = await run(config, { '@metadata': { keep: 'a', check: 'a', bad: 'x+' }, a: 'xxx', b: 1 });
    expect(out).toEqual({ '@metadata': { keep: 'a', check: 'a', bad: 'x+' } });
    const kept = await run(config, { '@metadata': { keep: 'a', check: 'a', bad: '(' }, a: 'xxx' });
    expect(kept.a).toBe('xxx'); // a rendered pattern that does not compile matches nothing
  });

  it('refuses a regex that does not compile, naming the option', async () => {
    await expect(makeFilter(prune, { whitelistNames: ['('] })).rejects.toThrow(/whitelistNames: invalid regular expression "\("/);
    await expect(makeFilter(prune, { blacklistValues: { f: '[' } })).rejects.toThrow(/blacklistValues\.f: invalid/);
  });
});
