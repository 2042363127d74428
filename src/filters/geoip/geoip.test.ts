import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultTarget, geoip, loadDatabase } from './index.js';
import { makeFilter, runFilter, testContext } from '../../testing/context.js';

// ------------------------------------------------------------------ a tiny mmdb writer
// Enough of the MaxMind DB format to build GeoIP2-shaped test databases (IPv6 tree, 24-bit records).

function ctrl(type: number, size: number): Buffer {
  const head: number[] = [];
  const ext = type > 7;
  let sizeBits: number;
  const extra: number[] = [];
  if (size < 29) sizeBits = size;
  else if (size < 285) {
    sizeBits = 29;
    extra.push(size - 29);
  } else {
    sizeBits = 30;
    const s = size - 285;
    extra.push(s >> 8, s & 0xff);
  }
  head.push(((ext ? 0 : type) << 5) | sizeBits);
  if (ext) head.push(type - 7);
  return Buffer.from([...head, ...extra]);
}

function encode(v: unknown): Buffer {
  if (typeof v === 'string') {
    const b = Buffer.from(v, 'utf8');
    return Buffer.concat([ctrl(2, b.length), b]);
  }
  if (typeof v === 'number' && !Number.isInteger(v)) {
    const b = Buffer.alloc(8);
    b.writeDoubleBE(v);
    return Buffer.concat([ctrl(3, 8), b]);
  }
  if (typeof v === 'number') {
    const bytes: number[] = [];
    for (let x = v; x > 0; x = Math.floor(x / 256)) bytes.unshift(x % 256);
    return Buffer.concat([ctrl(6, bytes.length), Buffer.from(bytes)]);
  }
  if (Array.isArray(v)) return Buffer.concat([ctrl(11, v.length), ...v.map(encode)]);
  if (v && typeof v === 'object') {
    const entries = Object.entries(v);
    return Buffer.concat([ctrl(7, entries.length), ...entries.flatMap(([k, x]) => [encode(k), encode(x)])]);
  }
  throw new Error(`cannot encode ${String(v)}`);
}

type Rec = number | { node: Node } | { data: number } | null;
interface Node {
  rec: [Rec, Rec];
  id?: number;
}

function ipBits(cidr: string): number[] {
  const [ip, len] = cidr.split('/');
  const bits: number[] = [];
  if (ip.includes('.')) {
    for (let i = 0; i < 96; i++) bits.push(0);
    for (const part of ip.split('.')) for (let b = 7; b >= 0; b--) bits.push((Number(part) >> b) & 1);
    return bits.slice(0, 96 + Number(len));
  }
  const [head, tail] = ip.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  for (const g of groups) for (let b = 15; b >= 0; b--) bits.push((parseInt(g, 16) >> b) & 1);
  return bits.slice(0, Number(len));
}

function writeMmdb(file: string, databaseType: string, networks: Array<[string, Record<string, unknown>]>): void {
  const root: Node = { rec: [null, null] };
  const datas: Buffer[] = [];
  let dataLen = 0;
  for (const [cidr, record] of networks) {
    const enc = encode(record);
    const offset = dataLen;
    datas.push(enc);
    dataLen += enc.length;
    const bits = ipBits(cidr);
    let node = root;
    for (let i = 0; i < bits.length - 1; i++) {
      const r = node.rec[bits[i]];
      if (r && typeof r === 'object' && 'node' in r) node = r.node;
      else {
        const child: Node = { rec: [null, null] };
        node.rec[bits[i]] = { node: child };
        node = child;
      }
    }
    node.rec[bits[bits.length - 1]] = { data: offset };
  }
  const nodes: Node[] = [];
  const number = (n: Node) => {
    n.id = nodes.length;
    nodes.push(n);
    for (const r of n.rec) if (r && typeof r === 'object' && 'node' in r) number(r.node);
  };
  number(root);
  const count = nodes.length;
  const tree = Buffer.alloc(count * 6);
  nodes.forEach((n, i) => {
    n.rec.forEach((r, side) => {
      const value = r === null ? count : typeof r === 'number' ? r : 'node' in r ? r.node.id! : count + 16 + r.data;
      tree.writeUIntBE(value, i * 6 + side * 3, 3);
    });
  });
  const meta = encode({
    node_count: count,
    record_size: 24,
    ip_version: 6,
    database_type: databaseType,
    languages: ['en'],
    binary_format_major_version: 2,
    binary_format_minor_version: 0,
    build_epoch: 1_600_000_000,
    description: { en: 'sluice test database' },
  });
  fs.writeFileSync(file, Buffer.concat([tree, Buffer.alloc(16), ...datas, Buffer.from([0xab, 0xcd, 0xef]), Buffer.from('MaxMind.com'), meta]));
}

// ------------------------------------------------------------------ tests

describe('geoip filter', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-geoip-'));
    writeMmdb(path.join(dir, 'city.mmdb'), 'GeoLite2-City', [
      [
        '81.2.69.0/24',
        {
          city: { geoname_id: 2643743, names: { en: 'London', de: 'London' } },
          continent: { code: 'EU', names: { en: 'Europe' } },
          country: { iso_code: 'GB', names: { en: 'United Kingdom' } },
          location: { latitude: 51.5142, longitude: -0.0931, time_zone: 'Europe/London' },
          postal: { code: 'EC2V' },
          subdivisions: [{ iso_code: 'ENG', names: { en: 'England' } }],
        },
      ],
      ['2001:db8::/32', { country: { iso_code: 'DE', names: { en: 'Germany' } }, location: { latitude: 51.2993, longitude: 9.491 } }],
    ]);
    fs.writeFileSync(path.join(dir, 'garbage.mmdb'), 'not a database');
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('derives ECS default targets', () => {
    expect(defaultTarget('source.ip')).toBe('source.geo');
    expect(defaultTarget('[client][address]')).toBe('client.geo');
    expect(defaultTarget('clientip')).toBe('geo');
  });

  it('looks addresses up in the bundled DB-IP database', async () => {
    const f = await makeFilter(geoip, { field: 'source.ip' });
    const [us] = runFilter(f, { source: { ip: '8.8.8.8' } });
    const geo = (us.source as Record<string, Record<string, unknown>>).geo;
    expect(geo).toMatchObject({ country_iso_code: 'US', country_name: 'United States', continent_code: 'NA', continent_name: 'North America' });
    expect(typeof geo.region_name).toBe('string');
    expect(typeof geo.city_name).toBe('string');
    const loc = geo.location as { lat: number; lon: number };
    expect(loc.lat).toBeGreaterThan(24);
    expect(loc.lat).toBeLessThan(50);
    expect(loc.lon).toBeLessThan(-65);
    expect(us.tags).toBeUndefined();

    const [v6] = runFilter(f, { source: { ip: '2001:4860:4860::8888' } });
    expect((v6.source as Record<string, Record<string, unknown>>).geo.country_iso_code).toEqual(expect.stringMatching(/^[A-Z]{2}$/));
    const [mapped] = runFilter(f, { source: { ip: '::ffff:8.8.8.8' } });
    expect((mapped.source as Record<string, Record<string, unknown>>).geo.country_iso_code).toBe('US');
    // first client of /work/shared/corpus/apache-access/access.log
    const [apache] = runFilter(f, { source: { ip: '83.149.9.216' } });
    expect((apache.source as Record<string, Record<string, unknown>>).geo.continent_code).toBe('EU');
  });

  it('tags private, reserved and invalid addresses', async () => {
    const f = await makeFilter(geoip, { field: 'ip', target: 'g' });
    for (const ip of ['192.168.1.1', '10.0.0.1', '127.0.0.1', '::1', 'fe80::1%eth0', 'not-an-ip', '999.1.1.1', '']) {
      const [out] = runFilter(f, { ip });
      expect(out, ip).toEqual({ ip, tags: ['_geoip_lookup_failure'] });
    }
    expect(runFilter(f, { ip: 42 })[0].tags).toEqual(['_geoip_lookup_failure']);
    expect(runFilter(f, { other: 1 })[0]).toEqual({ other: 1 });
    const custom = await makeFilter(geoip, { field: 'ip', tagOnFailure: ['no_geo'] });
    expect(runFilter(custom, { ip: '10.1.1.1' })[0].tags).toEqual(['no_geo']);
  });

  it('gives every event its own copy of a cached result', async () => {
    const f = await makeFilter(geoip, { field: 'ip', target: 'g', cacheSize: 2 });
    const [a] = runFilter(f, { ip: '8.8.8.8' });
    (a.g as Record<string, unknown>).country_iso_code = 'XX';
    ((a.g as Record<string, unknown>).location as Record<string, number>).lat = 0;
    const [b] = runFilter(f, { ip: '8.8.8.8' });
    expect((b.g as Record<string, unknown>).country_iso_code).toBe('US');
    expect(((b.g as Record<string, unknown>).location as Record<string, number>).lat).not.toBe(0);
    const [c] = runFilter(f, { ip: ['8.8.4.4', '1.1.1.1'], g: { keep: true } });
    expect(c.g).toMatchObject({ keep: true, country_iso_code: 'US' });
  });

  it('reads a user-supplied GeoIP2 City database', async () => {
    const f = await makeFilter(geoip, { field: 'ip', target: 'client.geo', databasePath: 'city.mmdb' }, testContext({ baseDir: dir }));
    const [london] = runFilter(f, { ip: '81.2.69.142' });
    expect((london.client as Record<string, unknown>).geo).toEqual({
      country_iso_code: 'GB',
      country_name: 'United Kingdom',
      continent_code: 'EU',
      continent_name: 'Europe',
      region_name: 'England',
      region_iso_code: 'GB-ENG',
      city_name: 'London',
      postal_code: 'EC2V',
      timezone: 'Europe/London',
      location: { lat: 51.5142, lon: -0.0931 },
    });
    const [de] = runFilter(f, { ip: '2001:db8::1' });
    expect((de.client as Record<string, unknown>).geo).toEqual({
      country_iso_code: 'DE',
      country_name: 'Germany',
      continent_code: 'EU',
      continent_name: 'Europe',
      location: { lat: 51.2993, lon: 9.491 },
    });
    expect(runFilter(f, { ip: '8.8.8.8' })[0].tags).toEqual(['_geoip_lookup_failure']);
  });

  it('loads each database once per process', async () => {
    expect(loadDatabase(undefined)).toBe(loadDatabase(undefined));
    const p = path.join(dir, 'city.mmdb');
    expect(loadDatabase(p)).toBe(loadDatabase(p));
  });

  it('fails clearly on a missing or invalid database', async () => {
    const ctx = testContext({ baseDir: dir });
    await expect(makeFilter(geoip, { field: 'ip', databasePath: 'missing.mmdb' }, ctx)).rejects.toThrow(/cannot read database/);
    await expect(makeFilter(geoip, { field: 'ip', databasePath: 'garbage.mmdb' }, ctx)).rejects.toThrow(/not a valid mmdb/);
  });
});
