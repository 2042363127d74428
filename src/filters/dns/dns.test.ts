/**
 * The dns filter against a DNS server of our own on loopback (UDP, dns-packet): real
 * queries through Node's resolver, answers, NXDOMAIN, and a name the server never answers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dns } from './index.js';
import { makeFilter, testContext } from '../../testing/context.js';
import { RecordProcessor, type ChainStep } from '../../runtime/processor.js';
import type { Filter } from '../../core/component.js';
import { startDnsServer, type TestDnsServer } from '../../../test/helpers/dns-server.js';

let server: TestDnsServer;
let port = 0;
let queries: string[] = [];

beforeAll(async () => {
  server = await startDnsServer({
    A: { 'web.example': '192.0.2.10', 'api.corp.example': '192.0.2.20' },
    AAAA: { 'v6only.example': '2001:db8::6' },
    PTR: { '10.2.0.192.in-addr.arpa': 'web.example', '6.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa': 'v6only.example' },
  });
  port = server.port;
  queries = server.queries;
});
afterAll(() => server.close());

const nameserver = () => ({ address: [`127.0.0.1:${port}`] });
const record = (value: unknown, offset = 0) => ({ topic: 't', partition: 0, offset: String(offset), key: null, value: Buffer.from(JSON.stringify(value)), timestamp: '1700000000000', headers: {} });
const processorWith = (filter: Filter) => new RecordProcessor([{ label: '0:dns', filter } as ChainStep], { codec: 'json', maxRecordBytes: 1 << 16, filterTimeoutMs: 1000, onFilterTimeout: 'tag' });
const eventsOf = (o: Awaited<ReturnType<RecordProcessor['afterWait']>>) => (o.kind === 'events' ? o.events : []);

describe('dns filter', () => {
  it('looks up reverse and forward, waits aside and re-runs the record, then answers from its cache', async () => {
    const filter = await makeFilter(dns, { reverse: ['source.ip'], resolve: ['server.domain'], action: 'replace', nameserver: nameserver(), addTag: ['resolved'] });
    const p = processorWith(filter);
    const input = { source: { ip: '192.0.2.10' }, server: { domain: 'web.example' } };
    const first = p.processBatch([record(input)])[0];
    expect(first.kind).toBe('wait'); // the partition is not blocked: the outcome comes back at once
    const [event] = eventsOf(await p.afterWait(record(input), first));
    expect(event).toMatchObject({ source: { ip: 'web.example' }, server: { domain: '192.0.2.10' }, tags: ['resolved'] });
    const asked = queries.length;
    const again = p.processBatch([record(input, 1)])[0];
    expect(again).toMatchObject({ kind: 'events', events: [{ source: { ip: 'web.example' } }] });
    expect(queries.length).toBe(asked); // answered from the cache
  });

  it('appends by default, falls back to AAAA, and reverses IPv6', async () => {
    const p = processorWith(await makeFilter(dns, { resolve: ['name'], reverse: ['ip6'], nameserver: nameserver() }));
    const [out] = await p.processAll([record({ name: 'v6only.example', ip6: '2001:db8::6' })]);
    expect(eventsOf(out)[0]).toMatchObject({ name: ['v6only.example', '2001:db8::6'], ip6: ['2001:db8::6', 'v6only.example'] });
  });

  it('uses search domains, leaves unknown names alone and caches the failure', async () => {
    const p = processorWith(await makeFilter(dns, { resolve: ['host'], action: 'replace', nameserver: { ...nameserver(), search: ['corp.example'], ndots: 1 } }));
    const [a, b] = await p.processAll([record({ host: 'api' }), record({ host: 'nx.example' })]);
    expect(eventsOf(a)[0]).toMatchObject({ host: '192.0.2.20' });
    expect(eventsOf(b)[0]).toEqual(expect.objectContaining({ host: 'nx.example' }));
    expect(eventsOf(b)[0].tags).toBeUndefined();
    const asked = queries.filter((q) => q.includes('nx.example')).length;
    await p.processAll([record({ host: 'nx.example' })]);
    expect(queries.filter((q) => q.includes('nx.example')).length).toBe(asked);
  });

  it('tags a lookup that times out, while other records go on meanwhile', async () => {
    const p = processorWith(await makeFilter(dns, { resolve: ['host'], nameserver: nameserver(), timeout: 0.2, maxRetries: 1 }));
    const slow = record({ host: 'slow.example' });
    const [waiting, other] = p.processBatch([slow, record({ message: 'no host field' }, 1)]);
    expect(waiting.kind).toBe('wait');
    expect(other.kind).toBe('events'); // the next record did not wait for the slow lookup
    const [event] = eventsOf(await p.afterWait(slow, waiting));
    expect(event).toMatchObject({ host: 'slow.example', tags: ['_dnstimeout'] });
  });

  it('still completes a waiting record with both caches off (Logstash defaults), asking again for later records', async () => {
    const p = processorWith(await makeFilter(dns, { resolve: ['host'], action: 'replace', nameserver: nameserver(), hitCacheSize: 0, failedCacheSize: 0 }));
    const before = queries.filter((q) => q === 'A web.example').length;
    const [out] = await p.processAll([record({ host: 'web.example' })]);
    expect(eventsOf(out)[0]).toMatchObject({ host: '192.0.2.10' });
    expect(queries.filter((q) => q === 'A web.example').length).toBe(before + 1);
  });

  it('reads hosts files first, and skips values that are not addresses', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dns-'));
    writeFileSync(join(dir, 'hosts'), '# test\n10.9.9.9  db.internal db\n');
    const p = processorWith(await makeFilter(dns, { reverse: ['ip'], resolve: ['name'], action: 'replace', nameserver: nameserver(), hostsfile: ['hosts'] }, testContext({ baseDir: dir })));
    const before = queries.length;
    const out = p.processBatch([record({ ip: '10.9.9.9', name: 'DB' }), record({ ip: 'not-an-ip' }, 1)]);
    expect(out[0]).toMatchObject({ kind: 'events', events: [{ ip: 'db.internal', name: '10.9.9.9' }] });
    expect(out[1]).toMatchObject({ kind: 'events', events: [{ ip: 'not-an-ip' }] });
    expect(queries.length).toBe(before);
  });

  it('never queues more than maxPending lookups: beyond that the event is tagged as timed out', async () => {
    const p = processorWith(await makeFilter(dns, { resolve: ['host'], nameserver: nameserver(), timeout: 0.2, maxRetries: 0, maxPending: 1 }));
    const [a, b] = p.processBatch([record({ host: 'slow.example' }), record({ host: 'slow2.example' }, 1)]);
    expect(a.kind).toBe('wait');
    expect(b).toMatchObject({ kind: 'events', events: [{ host: 'slow2.example', tags: ['_dnstimeout'] }] });
    await p.afterWait(record({ host: 'slow.example' }), a);
  });
});
