/**
 * Data stream mode on the real server the tests run on: records from Kafka go through the
 * real CLI into `logs-<dataset>-<namespace>` (backing indices `.ds-...`, created by the
 * managed data stream template), each with the ECS `data_stream.*` fields; reading the same
 * records again (another consumer group) gives 409s for `create`, which settle as indexed:
 * still exactly one document per record and no dead letters.
 *
 * Runs on OpenSearch (data streams are in its core) and on our Elasticsearch 8/9 nodes
 * without x-pack (writing to data streams is in the server; the _data_stream management API
 * is the data-streams module, not on Maven Central, so the clean-up below may not remove
 * them). Elasticsearch 7.17 without x-pack has no data streams: there the same writes land in
 * a plain index of that name, which the test checks instead.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { consoleProduce } from '../../../scripts/stack/index.js';
import { createTopic, endOffsets, es, groupLag, services, uniqueName, waitFor } from '../../../test/helpers/services.js';
import { startSluice } from '../../../test/helpers/sluice.js';
import { templateTarget } from './template.js';
import { dataStreamPattern } from './data-stream.js';

const run = uniqueName('ds');
const dataset = `sluice_${run.replace(/[^a-z0-9]/g, '_')}`;
const stream = `logs-${dataset}-test`;
const topic = `${run}-in`;
const dlq = `${run}.dlq`;
const COUNT = 200;

afterAll(async () => {
  await es(`/_data_stream/${stream}`, { method: 'DELETE' }).catch(() => {});
  await es(`/${stream}`, { method: 'DELETE' }).catch(() => {}); // Elasticsearch 7 without x-pack: a plain index
  const { name } = templateTarget(stream, { pattern: dataStreamPattern({ type: 'logs', dataset, namespace: 'test' }) })!;
  await es(`/_index_template/${name}`, { method: 'DELETE' }).catch(() => {});
});

async function runOnce(groupId: string, dir: string): Promise<void> {
  const file = join(dir, `${groupId}.json`);
  writeFileSync(
    file,
    JSON.stringify({
      id: run,
      input: { kafka: { brokers: ['${KAFKA_BROKERS}'], topics: [topic], groupId, codec: 'json' } },
      output: { elasticsearch: { nodes: ['${ES_URL}'], dataStream: { dataset, namespace: 'test' }, template: { replicas: 0 } } },
      deadLetter: { topic: dlq },
    }),
  );
  const proc = startSluice(['run', file], { KAFKA_BROKERS: services().brokers.join(','), ES_URL: services().esUrl });
  await waitFor(`group ${groupId} to catch up`, async () => (await groupLag(groupId, topic)) === 0, 120_000, 250);
  proc.child.kill('SIGTERM');
  expect((await proc.exited).code, proc.output().slice(-2000)).toBe(0);
}

describe('data stream mode', () => {
  it('writes every record once into logs-<dataset>-<namespace> with data_stream.* fields, and a second read settles as 409s', async () => {
    await createTopic(topic, 2);
    const lines = Array.from({ length: COUNT }, (_, i) => JSON.stringify({ '@timestamp': new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(), seq: i, message: `event ${i}` }));
    expect((await consoleProduce(services().brokers, topic, lines)).code).toBe(0);
    const dir = mkdtempSync(join(tmpdir(), 'sluice-ds-'));

    await runOnce(`${run}-first`, dir);
    await es(`/${stream}/_refresh`, { method: 'POST' });
    const first = await es(`/${stream}/_search`, { method: 'POST', body: { size: COUNT, track_total_hits: true } });
    expect(first.hits.total.value).toBe(COUNT);
    // Elasticsearch 7.x implements data streams in x-pack, which our local 7.17 lacks: it
    // ignores the template's data_stream and makes a plain index of that name. Every other
    // server we run (8.x, 9.x in the server; OpenSearch in its core) makes a data stream.
    const root = await es('/');
    const hasDataStreams = root.version.distribution === 'opensearch' || Number(String(root.version.number).split('.')[0]) >= 8;
    for (const hit of first.hits.hits) {
      if (hasDataStreams) expect(hit._index).toMatch(new RegExp(`^\\.ds-${stream}-`));
      else expect(hit._index).toBe(stream);
      expect(hit._source.data_stream).toEqual({ type: 'logs', dataset, namespace: 'test' });
    }

    // The same records again, through another group: `create` answers 409, which settles them.
    await runOnce(`${run}-second`, dir);
    await es(`/${stream}/_refresh`, { method: 'POST' });
    expect((await es(`/${stream}/_count`)).count).toBe(COUNT);
    const dead = await endOffsets(dlq).catch(() => new Map<number, number>());
    expect([...dead.values()].reduce((a, b) => a + b, 0)).toBe(0);
  }, 300_000);
});
