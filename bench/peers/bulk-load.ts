/**
 * The end-to-end ceilings of `npm run bench -- peers`, run as a process of its own so its CPU
 * and memory are measured like a pipeline's: NDJSON documents from a file bulk-indexed with
 * the Elasticsearch client's bulk helper (no Kafka, no parsing), the output's default batch
 * (2,000 documents) and concurrency (2).
 *
 *   node --import tsx bench/peers/bulk-load.ts ES_URL INDEX DOCS.ndjson
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { Client } from '@elastic/elasticsearch';

const [esUrl, index, file] = process.argv.slice(2);
if (!esUrl || !index || !file) {
  process.stderr.write('usage: bulk-load.ts ES_URL INDEX DOCS.ndjson\n');
  process.exit(2);
}
const client = new Client({ node: esUrl });
let n = 0;
const result = await client.helpers.bulk({
  datasource: (async function* () {
    for await (const line of createInterface({ input: createReadStream(file), crlfDelay: Infinity })) if (line) yield line;
  })(),
  onDocument: () => ({ index: { _index: index, _id: `c-${n++}` } }),
  flushBytes: 5 * 2 ** 20,
  concurrency: 2,
  retries: 1000,
  wait: 100,
});
await client.close();
// Its own CPU and peak RSS: it exits when done, before the harness's next look at /proc.
const cpu = process.cpuUsage();
const summary = { total: result.total, successful: result.successful, failed: result.failed, cpuSeconds: (cpu.user + cpu.system) / 1e6, peakRssBytes: process.resourceUsage().maxRSS * 1024 };
process.stdout.write(`LOADED ${JSON.stringify(summary)}\n`);
