/**
 * The local real-services stack (scripts/stack): Kafka and Elasticsearch answer where the
 * global setup says, and the Kafka console tools work with every compression codec.
 */
import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import kafkajs from 'kafkajs';
import { Client } from '@elastic/elasticsearch';
import { describe, expect, inject, it } from 'vitest';
import { consoleConsume, consoleProduce, kafkaTool, DUMP_LOG_SEGMENTS, stackPaths, type CompressionCodec } from '../scripts/stack/index.js';

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
