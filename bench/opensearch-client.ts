/**
 * `npm run bench -- opensearch-client <OpenSearch URL>`: bulk throughput of sluice's HTTP
 * path (src/outputs/elasticsearch/bulk-http.ts) against the
 * OpenSearch client, on the same NDJSON bodies and server: a warm-up round each, then ROUNDS
 * (default 5) rounds each, alternating which goes first.
 * It backs the choice of one HTTP path in docs/opensearch.md. The OpenSearch client is not a
 * dependency of sluice: install it elsewhere (`npm i --prefix /tmp/osbench
 * @opensearch-project/opensearch`) and point OPENSEARCH_CLIENT at its entry file.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EsConnection } from '../src/outputs/elasticsearch/client.js';

const url = process.argv.slice(2).find((a) => a.startsWith('http'));
const clientModule = process.env.OPENSEARCH_CLIENT ?? '/tmp/osbench/node_modules/@opensearch-project/opensearch/index.js';
if (!url) {
  process.stderr.write('usage: npm run bench -- opensearch-client http://host:port   (OPENSEARCH_CLIENT=<path of @opensearch-project/opensearch/index.js>)\n');
  process.exit(2);
}
const { Client: OpenSearchClient } = (await import(clientModule)) as { Client: new (o: { node: string }) => { transport: { request(p: object): Promise<unknown> } } };
const lines = readFileSync(join(import.meta.dirname, '..', 'samples', 'web-access.log'), 'utf8').split('\n').filter(Boolean);
const BATCH = 2000;
const BATCHES = 15;

function bulkBody(tag: string, batch: number): string {
  let s = '';
  for (let i = 0; i < BATCH; i++) {
    s += `{"index":{"_index":"bench-client-${tag}","_id":"${batch}-${i}"}}\n${JSON.stringify({ '@timestamp': new Date().toISOString(), message: lines[(batch * BATCH + i) % lines.length], seq: i })}\n`;
  }
  return s;
}

const conn = new EsConnection({ nodes: [url] });
const info = await conn.probe();
const sluice = conn.bulkSender(60_000, 1);
const openSearch = new OpenSearchClient({ node: url });

async function docsPerSecond(tag: string, send: (body: string) => Promise<unknown>): Promise<number> {
  const bodies = Array.from({ length: BATCHES }, (_, b) => bulkBody(tag, b));
  const t0 = performance.now();
  for (const b of bodies) await send(b);
  return (BATCHES * BATCH) / ((performance.now() - t0) / 1000);
}

const ROUNDS = Number(process.env.ROUNDS ?? 5);
const results: Record<string, number[]> = { sluice: [], opensearch: [] };
const runSluice = async () => results.sluice.push(await docsPerSecond('sluice', (b) => sluice.send('/_bulk', Buffer.from(b))));
const runOpenSearch = async () => results.opensearch.push(await docsPerSecond('opensearch', (b) => openSearch.transport.request({ method: 'POST', path: '/_bulk', bulkBody: b })));
// A warm-up round each (JIT, connections, the indices' first mapping update), not counted.
await docsPerSecond('sluice', (b) => sluice.send('/_bulk', Buffer.from(b)));
await docsPerSecond('opensearch', (b) => openSearch.transport.request({ method: 'POST', path: '/_bulk', bulkBody: b }));
for (let round = 0; round < ROUNDS; round++) {
  // Alternate who goes first, so drift in the server's state favours neither.
  if (round % 2 === 0) await runSluice().then(runOpenSearch);
  else await runOpenSearch().then(runSluice);
}
process.stdout.write(`${info.distribution} ${info.version}, ${BATCHES} x ${BATCH} documents per round\n`);
for (const [name, v] of Object.entries(results)) {
  const median = [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
  process.stdout.write(`${name.padEnd(11)} ${v.map((x) => Math.round(x)).join(' / ')} docs/s, median ${Math.round(median)}\n`);
}
await conn.request('DELETE', '/bench-client-*');
sluice.close();
