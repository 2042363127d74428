/**
 * The Logstash-style features with real Kafka and Elasticsearch through `sluice run`:
 * a conditional block routes records; `dns` lookups (against our own DNS server on
 * loopback) make records wait aside without holding up the others, and slow lookups are
 * tagged; `clone` turns a record into two documents with ids `-0` and `-1`. Every record is
 * settled (group lag 0) and indexed exactly as expected.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { consoleProduce } from '../scripts/stack/index.js';
import { startDnsServer, type TestDnsServer } from './helpers/dns-server.js';
import { createTopic, es, esIds, groupLag, kafkaClient, services, uniqueName, waitFor } from './helpers/services.js';
import { startSluice, type Running } from './helpers/sluice.js';

const run = uniqueName('lsfilters');
const topic = `${run}-in`;
const group = `${run}-group`;
const index = `${run}-docs`;

// 60 records: 30 in 192.0.2.0/24 (reverse + forward lookups answered), 10 naming a host (a `hostname` field: the managed ECS template maps `host` as an object)
// the DNS server never answers (timeout), 20 elsewhere (cloned).
const lines = [
  ...Array.from({ length: 30 }, (_, i) => JSON.stringify({ n: i, ip: `192.0.2.${10 + (i % 3)}`, hostname: 'web.example' })),
  ...Array.from({ length: 10 }, (_, i) => JSON.stringify({ n: 30 + i, ip: '198.51.100.7', hostname: `slow.example` })),
  ...Array.from({ length: 20 }, (_, i) => JSON.stringify({ n: 40 + i, ip: '203.0.113.5' })),
];

let dnsServer: TestDnsServer;
let proc: Running | undefined;

beforeAll(async () => {
  dnsServer = await startDnsServer({
    A: { 'web.example': '192.0.2.10' },
    PTR: { '10.2.0.192.in-addr.arpa': 'a.example', '11.2.0.192.in-addr.arpa': 'b.example', '12.2.0.192.in-addr.arpa': 'c.example' },
  });
  await createTopic(topic, 2);
  // Half through kafkajs, half through Kafka's own console producer.
  const producer = kafkaClient().producer();
  await producer.connect();
  await producer.send({ topic, messages: lines.filter((_, i) => i % 2 === 0).map((value) => ({ value })) });
  await producer.disconnect();
  const r = await consoleProduce(services().brokers, topic, lines.filter((_, i) => i % 2 === 1));
  if (r.code !== 0) throw new Error(`console producer failed: ${r.stderr}`);
}, 120_000);

afterAll(async () => {
  if (proc && proc.child.exitCode === null) proc.child.kill('SIGKILL');
  await dnsServer?.close();
});

describe('conditional blocks, dns and clone under sluice run', () => {
  it('routes, resolves, tags timeouts and clones with per-event ids, settling every record', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-lsfilters-'));
    const file = join(dir, 'p.json');
    const nameserver = { address: [`127.0.0.1:${dnsServer.port}`] };
    writeFileSync(
      file,
      JSON.stringify({
        id: run,
        input: { kafka: { brokers: ['${KAFKA_BROKERS}'], topics: [topic], groupId: group, codec: 'json' } },
        filters: [
          { cidr: { address: ['ip'], network: ['192.0.2.0/24'], addTag: ['testnet'] } },
          {
            if: '"testnet" in [tags]',
            then: [{ dns: { reverse: ['ip'], resolve: ['hostname'], action: 'replace', nameserver } }],
            elseIf: [{ if: '[hostname] =~ /^slow\\./', then: [{ dns: { resolve: ['hostname'], nameserver, timeout: 0.2, maxRetries: 0 } }] }],
            else: [{ clone: { clones: ['copy'] } }],
          },
        ],
        output: { elasticsearch: { nodes: ['${ES_URL}'], index, batchMaxDocs: 50 } },
      }),
    );
    proc = startSluice(['run', file], { KAFKA_BROKERS: services().brokers.join(','), ES_URL: services().esUrl });
    await waitFor('every record to be settled and committed', async () => (await groupLag(group, topic)) === 0, 120_000, 500);
    proc.child.kill('SIGTERM');
    const { code } = await proc.exited;
    expect(code, proc.output().slice(-3000)).toBe(0);

    await es(`/${index}/_refresh`, { method: 'POST' });
    const hits = (await es(`/${index}/_search`, { method: 'POST', body: { size: 1000, sort: ['n'] } })).hits.hits as { _id: string; _source: Record<string, any> }[];
    expect(hits).toHaveLength(30 + 10 + 2 * 20);
    const byN = (n: number) => hits.filter((h) => h._source.n === n);

    for (let n = 0; n < 30; n++) {
      const [doc] = byN(n);
      expect(doc._source).toMatchObject({ ip: ['a.example', 'b.example', 'c.example'][n % 3], hostname: '192.0.2.10', tags: ['testnet'] });
      expect(doc._id).toMatch(new RegExp(`^${topic}-[01]-\\d+$`));
    }
    for (let n = 30; n < 40; n++) expect(byN(n)[0]._source).toMatchObject({ hostname: 'slow.example', tags: ['_dnstimeout'] });
    for (let n = 40; n < 60; n++) {
      const docs = byN(n).sort((a, b) => a._id.localeCompare(b._id));
      expect(docs).toHaveLength(2);
      const base = docs[0]._id.replace(/-0$/, '');
      expect(docs.map((d) => d._id)).toEqual([`${base}-0`, `${base}-1`]);
      expect(docs.map((d) => d._source.tags)).toEqual([undefined, ['copy']]);
    }
    // Every id is distinct and derived from its record: a redelivery would overwrite, not duplicate.
    const ids = await esIds(index);
    expect(new Set(ids).size).toBe(80);
    // Lookups were cached: three addresses and one name asked once each (a retry at most), not once per record.
    expect(dnsServer.queries.filter((q) => q.startsWith('PTR')).length).toBeLessThanOrEqual(6);
  }, 180_000);
});
