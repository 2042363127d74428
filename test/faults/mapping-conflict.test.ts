/**
 * Fault (c): real mapping conflicts. `user` is an object in most records and a string in some;
 * the index maps it as an object, so Elasticsearch rejects exactly those documents (400,
 * `document_parsing_exception` on 8.x/9.x, `mapper_parsing_exception` on 7.x and OpenSearch). They must land in
 * the dead-letter topic with reason `es_rejected` and the Elasticsearch error, unchanged (key,
 * value, source headers) and with every `sluice.dlq.*` header of the design notes, as Kafka's
 * own console consumer shows them; every other record is indexed.
 *
 * Shared stack.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import kafkajs from 'kafkajs';
import { consoleConsume } from '../../scripts/stack/index.js';
import { createTopic, endOffsets, es, esCount, esIds, expectedIds, groupLag, kafkaClient, services, uniqueName, waitFor } from '../helpers/services.js';
import { DLQ_ES_HEADERS, DLQ_HEADERS, deleteIndices, diffIds, elapsed, parseConsoleRecord, runSluice, stopSluice, writePipeline, waitWithLogs } from '../helpers/faults.js';
import type { Running } from '../helpers/sluice.js';

const TOTAL = 20_000;
const PARTITIONS = 3;
const run = uniqueName('fault-mapping');
const topic = run;
const dlq = `${run}.dlq`;
const index = `${run}-logs`;
const isConflict = (i: number) => i % 157 === 7;
const record = (i: number) =>
  JSON.stringify(isConflict(i) ? { seq: i, user: `user-${i}`, msg: `request ${i}` } : { seq: i, user: { name: `user-${i % 50}`, id: i }, msg: `request ${i}` });
const conflicts = Array.from({ length: TOTAL }, (_, i) => i).filter(isConflict);

let proc: Running | undefined;
let esMajor = 8;
let openSearch = false;

beforeAll(async () => {
  const t0 = Date.now();
  const root = await es('/');
  esMajor = Number(String(root.version.number).split('.')[0]);
  openSearch = root.version.distribution === 'opensearch';
  // `user` is an object in the index: a string there is a real mapping rejection.
  await es(`/${index}`, {
    method: 'PUT',
    body: {
      settings: { number_of_shards: 1, number_of_replicas: 0 },
      mappings: { properties: { user: { properties: { name: { type: 'keyword' }, id: { type: 'long' } } }, seq: { type: 'long' } } },
    },
  });
  await createTopic(topic, PARTITIONS);
  const producer = kafkaClient().producer();
  await producer.connect();
  for (let start = 0; start < TOTAL; start += 2000) {
    const messages = [];
    for (let i = start; i < start + 2000; i++) {
      messages.push({ partition: i % PARTITIONS, key: `k${i}`, value: record(i), headers: i % 2 ? { 'trace-id': `t${i}` } : undefined });
    }
    await producer.send({ topic, acks: -1, compression: kafkajs.CompressionTypes.GZIP, messages });
  }
  await producer.disconnect();
  console.log(`[mapping] produced ${TOTAL} records (${conflicts.length} conflicting) in ${elapsed(t0)}`);
}, 300_000);

afterAll(async () => {
  if (proc && proc.child.exitCode === null) proc.child.kill('SIGKILL');
  await deleteIndices(`${run}-*`);
});

describe('fault (c): real mapping conflicts', () => {
  it('dead-letters exactly the conflicting records with es_rejected and indexes all others', async () => {
    const t0 = Date.now();
    const dir = mkdtempSync(join(tmpdir(), 'sluice-fault-mapping-'));
    const pipeline = writePipeline(dir, { id: run, topic, groupId: `${run}-group`, index, codec: 'json' });
    proc = runSluice([pipeline]);
    await waitWithLogs([proc], 'the group to catch up', async () => (await groupLag(`${run}-group`, topic)) === 0, 300_000, 1000);
    expect(await stopSluice(proc), proc.output().slice(-3000)).toBe(0);
    console.log(`[mapping] indexed and dead-lettered in ${elapsed(t0)}`);

    // Elasticsearch: everything but the conflicts, once.
    expect(await esCount(index)).toBe(TOTAL - conflicts.length);
    const conflictIds = new Set(conflicts.map((i) => `${topic}-${i % PARTITIONS}-${Math.floor(i / PARTITIONS)}`));
    const expected = (await expectedIds(topic)).filter((id) => !conflictIds.has(id));
    expect(diffIds(expected, await esIds(index)).counts).toEqual({ duplicated: 0, missing: 0, unexpected: 0 });

    // The dead-letter topic, read by Kafka's own console consumer.
    const dlqEnd = [...(await endOffsets(dlq)).values()].reduce((a, b) => a + b, 0);
    expect(dlqEnd).toBe(conflicts.length);
    const { lines, code, stderr } = await consoleConsume(services().brokers, dlq, { printHeaders: true, printKey: true, maxMessages: conflicts.length, timeoutMs: 30_000 });
    expect(code, stderr).toBe(0);
    expect(lines).toHaveLength(conflicts.length);
    console.log(`[mapping] kafka-console-consumer, first dead letter:\n${lines[0]}`);
    // OpenSearch forked from Elasticsearch 7.10 and kept the 7.x name.
    const wantType = esMajor >= 8 && !openSearch ? 'document_parsing_exception' : 'mapper_parsing_exception';
    const seen = new Set<number>();
    for (const line of lines) {
      const { headers, key, value } = parseConsoleRecord(line, ['trace-id']);
      for (const h of [...DLQ_HEADERS, ...DLQ_ES_HEADERS]) expect(headers, `header ${h} in ${line}`).toHaveProperty([h]);
      const partition = Number(headers['sluice.dlq.source.partition']);
      const offset = Number(headers['sluice.dlq.source.offset']);
      const i = offset * PARTITIONS + partition;
      expect(isConflict(i), `dead letter for record ${i} is not a conflicting one`).toBe(true);
      seen.add(i);
      // The original record, unchanged.
      expect(value).toBe(record(i));
      expect(key).toBe(`k${i}`);
      if (i % 2) expect(headers['trace-id']).toBe(`t${i}`);
      else expect(headers['trace-id']).toBeUndefined();
      // Why, where, when.
      expect(headers['sluice.dlq.reason']).toBe('es_rejected');
      expect(headers['sluice.dlq.stage']).toBe('output');
      expect(headers['sluice.dlq.pipeline']).toBe(run);
      expect(headers['sluice.dlq.source.topic']).toBe(topic);
      expect(headers['sluice.dlq.es.status']).toBe('400');
      expect(headers['sluice.dlq.es.type']).toBe(wantType);
      expect(headers['sluice.dlq.es.index']).toBe(index);
      expect(headers['sluice.dlq.error']).toContain(wantType);
      expect(headers['sluice.dlq.error']).toMatch(/\[user\]/);
      expect(headers['sluice.dlq.attempt']).toBe('1');
      expect(headers['sluice.dlq.source.timestamp']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      expect(Date.parse(headers['sluice.dlq.failed_at'])).toBeGreaterThanOrEqual(t0 - 1000);
    }
    expect([...seen].sort((a, b) => a - b)).toEqual(conflicts);
  }, 600_000);
});
