import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cidr } from './index.js';
import { makeFilter, runFilter, testContext } from '../../testing/context.js';

const run = async (config: Record<string, unknown>, event: Record<string, unknown>) => runFilter(await makeFilter(cidr, config), event)[0];

describe('cidr filter', () => {
  it('tags an IPv4 address inside a network and leaves others alone (Logstash docs example)', async () => {
    const config = { address: ['%{clientip}'], network: ['192.0.2.0/24'], addTag: ['testnet'] };
    expect(await run(config, { clientip: '192.0.2.7' })).toEqual({ clientip: '192.0.2.7', tags: ['testnet'] });
    expect(await run(config, { clientip: '192.0.3.7' })).toEqual({ clientip: '192.0.3.7' });
    expect(await run(config, { other: 1 })).toEqual({ other: 1 });
  });

  it('matches IPv6 networks, single addresses and IPv4-mapped addresses', async () => {
    const config = { address: ['source.ip'], network: ['2001:db8::/32', '10.0.0.0/8', '203.0.113.9'], addField: { 'network.zone': 'internal' } };
    expect((await run(config, { source: { ip: '2001:db8:1::5' } })).network).toEqual({ zone: 'internal' });
    expect((await run(config, { source: { ip: '2001:db9::5' } })).network).toBeUndefined();
    expect((await run(config, { source: { ip: '::ffff:10.9.8.7' } })).network).toEqual({ zone: 'internal' });
    expect((await run(config, { source: { ip: '203.0.113.9' } })).network).toEqual({ zone: 'internal' });
    expect((await run(config, { source: { ip: '203.0.113.10' } })).network).toBeUndefined();
  });

  it('tests every address field and every element of an array field; ignores what is not an address', async () => {
    const config = { address: ['[src]', '[dst]'], network: ['172.16.0.0/12'], addTag: ['private'], removeField: ['junk'] };
    expect(await run(config, { src: '8.8.8.8', dst: ['1.1.1.1', '172.20.0.1'], junk: 1 })).toEqual({ src: '8.8.8.8', dst: ['1.1.1.1', '172.20.0.1'], tags: ['private'] });
    for (const src of ['not an ip', '172.20', '0xac.20.0.1', '', 42, null, { a: 1 }]) {
      expect((await run(config, { src })).tags, String(src)).toBeUndefined();
    }
  });

  it('renders networks that are templates per event', async () => {
    const config = { address: ['ip'], network: ['%{[@metadata][net]}'], addTag: ['hit'] };
    expect((await run(config, { ip: '10.1.1.1', '@metadata': { net: '10.1.0.0/16' } })).tags).toEqual(['hit']);
    expect((await run(config, { ip: '10.1.1.1', '@metadata': { net: 'garbage' } })).tags).toBeUndefined();
  });

  it('reads networks from a file and re-reads it when it changes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cidr-'));
    const file = join(dir, 'nets.txt');
    writeFileSync(file, '# office\n10.0.0.0/8\n\nfd00::/8  # ula\n');
    const filter = await makeFilter(cidr, { address: ['ip'], networkPath: 'nets.txt', refreshInterval: 0, addTag: ['known'] }, testContext({ baseDir: dir }));
    expect(runFilter(filter, { ip: 'fd12::1' })[0].tags).toEqual(['known']);
    expect(runFilter(filter, { ip: '192.168.1.1' })[0].tags).toBeUndefined();

    const refreshing = await makeFilter(cidr, { address: ['ip'], networkPath: file, refreshInterval: 1, addTag: ['known'] });
    expect(runFilter(refreshing, { ip: '192.168.1.1' })[0].tags).toBeUndefined();
    writeFileSync(file, '192.168.0.0/16\n');
    utimesSync(file, new Date(), new Date(Date.now() + 5000));
    const realNow = Date.now;
    Date.now = () => realNow() + 2000; // past refreshInterval without waiting for it
    try {
      expect(runFilter(refreshing, { ip: '192.168.1.1' })[0].tags).toEqual(['known']);
    } finally {
      Date.now = realNow;
    }
  });

  it('refuses a network that does not parse, with its text', async () => {
    await expect(makeFilter(cidr, { address: ['ip'], network: ['10.0.0.0/33'] })).rejects.toThrow(/network "10.0.0.0\/33" is not/);
    await expect(makeFilter(cidr, { address: ['ip'] })).rejects.toThrow(/at least one network/);
  });
});
