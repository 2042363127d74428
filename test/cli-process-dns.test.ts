/** `sluice process` with a filter that waits (dns): the CLI completes every wait and prints the resolved events. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDnsServer, type TestDnsServer } from './helpers/dns-server.js';
import { startSluice } from './helpers/sluice.js';

let dnsServer: TestDnsServer;
beforeAll(async () => {
  dnsServer = await startDnsServer({ A: { 'web.example': '192.0.2.10' }, PTR: { '10.2.0.192.in-addr.arpa': 'web.example' } });
});
afterAll(() => dnsServer.close());

describe('sluice process with dns', () => {
  it('prints each event once its lookups are done, in input order, timeouts tagged', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-process-dns-'));
    const nameserver = { address: [`127.0.0.1:${dnsServer.port}`] };
    writeFileSync(
      join(dir, 'p.json'),
      JSON.stringify({
        id: 'dns-process',
        input: { kafka: { brokers: ['localhost:9092'], topics: ['t'], groupId: 'g', codec: 'json' } },
        filters: [{ dns: { reverse: ['ip'], resolve: ['host'], action: 'replace', nameserver, timeout: 0.2, maxRetries: 0 } }],
        output: { elasticsearch: { nodes: ['http://localhost:9200'], index: 'i' } },
      }),
    );
    writeFileSync(join(dir, 'in.jsonl'), ['{"n":1,"ip":"192.0.2.10"}', '{"n":2,"host":"slow.example"}', '{"n":3,"host":"web.example"}', '{"n":4}'].join('\n') + '\n');
    const proc = startSluice(['process', join(dir, 'p.json'), '--input', join(dir, 'in.jsonl')]);
    const { code } = await proc.exited;
    expect(code, proc.output()).toBe(0);
    const events = proc.output().trim().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
    expect(events).toEqual([
      expect.objectContaining({ n: 1, ip: 'web.example' }),
      expect.objectContaining({ n: 2, host: 'slow.example', tags: ['_dnstimeout'] }),
      expect.objectContaining({ n: 3, host: '192.0.2.10' }),
      expect.objectContaining({ n: 4 }),
    ]);
  });
});
