/**
 * The local real-services stack (scripts/stack): Kafka and Elasticsearch answer where the
 * global setup says, the Kafka console tools work with every compression codec, and what test
 * runs leave behind is recognised and deleted (and nothing else).
 */
import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import kafkajs from 'kafkajs';
import { Client } from '@elastic/elasticsearch';
import { describe, expect, inject, it } from 'vitest';
import { consoleConsume, consoleProduce, kafkaTool, DUMP_LOG_SEGMENTS, pruneRunLeftovers, RUN_MADE, stackPaths, type CompressionCodec } from '../scripts/stack/index.js';
import { uniqueName } from './helpers/services.js';

const brokers = (inject('KAFKA_BROKERS') ?? process.env.KAFKA_BROKERS ?? '').split(',').filter(Boolean);
const esUrl = inject('ES_URL') ?? process.env.ES_URL ?? '';

/** The local stack's own env file, when the servers under test are the local stack. */
function localEnv(): Record<string, string> {
  try {
    return Object.fromEntries(
      fs
        .readFileSync(stackPaths.envFile, 'utf8')
        .split('\n')
        .filter((l) => l.includes('='))
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
  } catch {
    return {};
  }
}
const isLocalStack = localEnv().ES_URL === esUrl && localEnv().KAFKA_BROKERS === brokers.join(',');

describe('local stack', () => {
  it('names its servers in the environment and in .stack/env', () => {
    expect(brokers.length).toBeGreaterThan(0);
    for (const b of brokers) expect(b).toMatch(/^[\w.-]+:\d+$/);
    expect(esUrl).toMatch(/^https?:\/\/[\w.-]+:\d+$/);
    expect(process.env.KAFKA_BROKERS).toBe(brokers.join(','));
    expect(process.env.ES_URL).toBe(esUrl);
    if (isLocalStack) expect(localEnv()).toEqual({ KAFKA_BROKERS: brokers.join(','), ES_URL: esUrl });
  });

  it('has a reachable Kafka cluster', async () => {
    const admin = new kafkajs.Kafka({ clientId: 'stack-test', brokers, logLevel: kafkajs.logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      const cluster = await admin.describeCluster();
      expect(cluster.brokers.length).toBeGreaterThanOrEqual(1);
      expect(Array.isArray(await admin.listTopics())).toBe(true);
    } finally {
      await admin.disconnect();
    }
  });

  it('has a reachable Elasticsearch node', async () => {
    const health = (await (await fetch(`${esUrl}/_cluster/health?wait_for_status=yellow&timeout=30s`)).json()) as { status: string };
    expect(['green', 'yellow']).toContain(health.status);
    const root = (await (await fetch(`${esUrl}/`)).json()) as { version: { number: string } };
    // The local stack runs 7.17 by default, 8.19 with SLUICE_STACK_ES=8 / `--es 8`.
    if (isLocalStack) expect(root.version.number).toMatch(/^(7\.17|8\.19)\.\d+$/);
    else expect(root.version.number).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('serves the 8.x JavaScript client: bulk, mapping rejections, templates, terms aggregations', async () => {
    const es = new Client({ node: esUrl });
    const index = `stack-test-${randomUUID().slice(0, 8)}`;
    try {
      await es.indices.putIndexTemplate({
        name: `${index}-template`,
        index_patterns: [`${index}*`],
        template: {
          settings: { number_of_shards: 1, number_of_replicas: 0 },
          mappings: { properties: { n: { type: 'long' }, service: { type: 'keyword' } } },
        },
      });
      const bulk = await es.bulk({
        refresh: true,
        operations: [
          { index: { _index: index, _id: '1' } },
          { n: 1, service: 'web' },
          { index: { _index: index, _id: '2' } },
          { n: 'not a number', service: 'api' },
          { create: { _index: index, _id: '1' } },
          { n: 3, service: 'web' },
          { index: { _index: index, _id: '3' } },
          { n: 4, service: 'db' },
        ],
      });
      expect(bulk.errors).toBe(true);
      const statuses = bulk.items.map((item) => Object.values(item)[0]!.status);
      expect(statuses).toEqual([201, 400, 409, 201]);
      // 7.x calls it mapper_parsing_exception, 8.x document_parsing_exception.
      expect(Object.values(bulk.items[1]!)[0]!.error?.type).toMatch(/^(mapper|document)_parsing_exception$/);
      const res = await es.search({ index, size: 0, aggs: { s: { terms: { field: 'service' } } } });
      const buckets = (res.aggregations?.s as { buckets: { key: string; doc_count: number }[] }).buckets;
      expect(buckets.map((b) => b.key).sort()).toEqual(['db', 'web']);
    } finally {
      await es.indices.delete({ index, ignore_unavailable: true });
      await es.indices.deleteIndexTemplate({ name: `${index}-template` }).catch(() => {});
      await es.close();
    }
  });

  describe.each<CompressionCodec>(['gzip', 'snappy', 'lz4', 'zstd'])('console producer with %s', (codec) => {
    it('produces records that the console consumer reads back', async () => {
      const topic = `stack-test-${codec}-${randomUUID().slice(0, 8)}`;
      const lines = [`k1\t{"codec":"${codec}","n":1}`, `k2\t{"codec":"${codec}","n":2}`, `k3\tplain text ${codec}`];
      await consoleProduce(brokers, topic, lines, { compression: codec, parseKey: true, headers: { origin: 'stack-test' } });
      const res = await consoleConsume(brokers, topic, { fromBeginning: true, maxMessages: 3, printKey: true, printHeaders: true, timeoutMs: 30_000 });
      expect(res.lines).toEqual(lines.map((l) => `origin:stack-test\t${l}`));

      // On the local stack, prove from the broker's own log segment that the batch is compressed.
      const partitionDir = isLocalStack
        ? fs
            .readdirSync(stackPaths.kafka)
            .map((node) => path.join(stackPaths.kafka, node, 'data', `${topic}-0`))
            .find((dir) => fs.existsSync(dir))
        : undefined;
      if (partitionDir) {
        const dump = await kafkaTool(DUMP_LOG_SEGMENTS, ['--files', path.join(partitionDir, '00000000000000000000.log')]);
        expect(dump.code).toBe(0);
        expect(dump.stdout).toContain(`compresscodec: ${codec}`);
      }
    });
  });
});

describe('what test runs leave on the stack', () => {
  it('recognises the names runs make, and not a date or a developer\'s own names', () => {
    for (const made of [uniqueName('fault-group'), `${uniqueName('doctor')}-fresh`, `sluice-${uniqueName('sec')}-e-bearer`, `${uniqueName('x')}.dlq`, 'perf-mxa4nzon', 'sluice-perf-mxa9n7pt', '.ds-logs-sluice_ds_mxa5ro7s_d7046d-test-2026.12.05-000001']) {
      expect(RUN_MADE.test(made), made).toBe(true);
    }
    for (const kept of ['logs-20261205-abcdef', 'web-access-2015.05.20', 'demo-web-access-mxa5ri4g', 'perf-e2e-200000', 'sluice-logs', 'bench-peers-mxa6dlcr-web0-2015.05.20']) {
      expect(RUN_MADE.test(kept), kept).toBe(false);
    }
  });

  it('deletes the topics, empty groups, indices and index templates a run made, and leaves others alone', async () => {
    // Only this test's names: the other tests of this run are still using theirs.
    const run = uniqueName('prune');
    const mine = new RegExp(`^(sluice-)?${run}`);
    const kept = `${run.replace('prune', 'kept')}-developer`;
    const es = (p: string, method = 'GET', body?: unknown) =>
      fetch(`${esUrl}${p}`, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    const admin = new kafkajs.Kafka({ brokers, logLevel: kafkajs.logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      await admin.createTopics({ topics: [{ topic: run }, { topic: `${run}.dlq` }, { topic: kept }], waitForLeaders: true });
      await admin.setOffsets({ groupId: run, topic: run, partitions: [{ partition: 0, offset: '0' }] });
      expect((await es(`/_index_template/sluice-${run}`, 'PUT', { index_patterns: [`${run}-*`], template: { settings: { number_of_shards: 1 } } })).ok).toBe(true);
      expect((await es(`/${run}-2026.12.05`, 'PUT')).ok).toBe(true);
      expect((await es(`/${kept}`, 'PUT')).ok).toBe(true);

      const pruned = await pruneRunLeftovers({ esUrl, kafkaBrokers: brokers, match: mine });
      expect(pruned).toEqual({ topics: 2, groups: 1, indices: 1, templates: 1 });
      // A new client: kafkajs' admin keeps asking for the metadata of topics it created, which fails once they are gone.
      const after = new kafkajs.Kafka({ brokers, logLevel: kafkajs.logLevel.NOTHING }).admin();
      await after.connect();
      const topics = await after.listTopics();
      const groups = (await after.listGroups()).groups.map((g) => g.groupId);
      await after.disconnect();
      expect(topics).not.toContain(run);
      expect(topics).not.toContain(`${run}.dlq`);
      expect(topics).toContain(kept);
      expect(groups).not.toContain(run);
      expect((await es(`/_index_template/sluice-${run}`)).status).toBe(404);
      expect((await es(`/${run}-2026.12.05`)).status).toBe(404);
      expect((await es(`/${kept}`)).status).toBe(200);
    } finally {
      await es(`/${kept}`, 'DELETE');
      await admin.disconnect();
      const cleanup = new kafkajs.Kafka({ brokers, logLevel: kafkajs.logLevel.NOTHING }).admin();
      await cleanup.connect();
      await cleanup.deleteTopics({ topics: [kept] }).catch(() => undefined);
      await cleanup.disconnect();
    }
  });
});
