/**
 * The walking skeleton end to end: real Kafka, real Elasticsearch, the real CLI.
 * 10,000 records (plain and json, every compression codec, some produced by Kafka's own
 * console producer) → `sluice run` with two pipelines in one process → exactly 10,000
 * documents with the expected ids and fields. Then the same records again into fresh
 * indices with `sluice run` SIGKILLed mid-stream and restarted: still exactly 10,000.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import kafkajs from 'kafkajs';
import { consoleProduce } from '../../scripts/stack/index.js';
import { registerCompressionCodecs } from '../../src/inputs/kafka/compression.js';
import { createTopic, es, esCount, esIds, expectedIds, groupLag, kafkaClient, services, uniqueName, waitFor } from '../helpers/services.js';
import { ROOT, startSluice, type Running } from '../helpers/sluice.js';

const { CompressionTypes } = kafkajs;
const run = uniqueName('e2e');
const plainTopic = `${run}-plain`;
const jsonTopic = `${run}-json`;
const sampleLines = readFileSync(join(ROOT, 'samples', 'web-access.log'), 'utf8').split('\n').filter(Boolean);
const plainLines = Array.from({ length: 6000 }, (_, i) => sampleLines[i % sampleLines.length]);
const jsonLines = Array.from({ length: 4000 }, (_, seq) =>
  JSON.stringify({ service: 'api', seq, level: seq % 10 === 0 ? 'error' : 'info', msg: `request ${seq} handled`, payload: JSON.stringify({ user: `u${seq % 7}` }) }),
);
const serverErrors = plainLines.filter((l) => /" 5\d\d /.test(l)).length;

function writePipelines(dir: string, phase: string, tuning: Record<string, unknown>, inputTuning: Record<string, unknown> = {}) {
  const output = (index: string) => ({ elasticsearch: { nodes: ['${ES_URL}'], index, batchMaxDocs: 100, concurrency: 1 } });
  const input = (topic: string, codec: string) => ({ kafka: { brokers: ['${KAFKA_BROKERS}'], topics: [topic], groupId: `${run}-${phase}-${codec}`, codec, ...inputTuning } });
  writeFileSync(
    join(dir, 'plain.json'),
    JSON.stringify({
      id: `${run}-${phase}-plain`,
      input: input(plainTopic, 'plain'),
      filters: [
        { mutate: { addField: { service: 'web' } } },
        { mutate: { addTag: ['server_error'] }, when: 'message =~ /" 5\\d\\d /' },
      ],
      output: output(`${run}-${phase}-%{service}-%{+yyyy.MM.dd}`),
      ...tuning,
    }),
  );
  writeFileSync(
    join(dir, 'json.json'),
    JSON.stringify({
      id: `${run}-${phase}-json`,
      input: input(jsonTopic, 'json'),
      filters: [{ mutate: { rename: { msg: 'message' } } }, { json: { field: 'payload', target: 'detail', removeSource: true } }],
      output: output(`${run}-${phase}-%{service}-%{+yyyy.MM.dd}`),
      ...tuning,
    }),
  );
}

async function produceAll(): Promise<void> {
  registerCompressionCodecs();
  const producer = kafkaClient().producer();
  await producer.connect();
  const send = async (topic: string, lines: string[], compression: kafkajs.CompressionTypes) => {
    for (let i = 0; i < lines.length; i += 250) await producer.send({ topic, compression, messages: lines.slice(i, i + 250).map((value) => ({ value })) });
  };
  // kafkajs: 3,000 plain + 2,000 json (lz4 and zstd come from the console producer below)
  await send(plainTopic, plainLines.slice(0, 1500), CompressionTypes.GZIP);
  await send(plainTopic, plainLines.slice(1500, 2250), CompressionTypes.Snappy);
  await send(plainTopic, plainLines.slice(2250, 3000), CompressionTypes.None);
  await send(jsonTopic, jsonLines.slice(0, 1000), CompressionTypes.None);
  await send(jsonTopic, jsonLines.slice(1000, 2000), CompressionTypes.GZIP);
  await producer.disconnect();
  // Kafka's own console producer: 3,000 plain + 2,000 json, one codec per slice.
  const { brokers } = services();
  const slices: Array<[string, string[], 'gzip' | 'snappy' | 'lz4' | 'zstd']> = [
    [plainTopic, plainLines.slice(3000, 3750), 'gzip'],
    [plainTopic, plainLines.slice(3750, 4500), 'snappy'],
    [plainTopic, plainLines.slice(4500, 5250), 'lz4'],
    [plainTopic, plainLines.slice(5250, 6000), 'zstd'],
    [jsonTopic, jsonLines.slice(2000, 3000), 'zstd'],
    [jsonTopic, jsonLines.slice(3000, 4000), 'lz4'],
  ];
  for (const [topic, lines, compression] of slices) {
    const r = await consoleProduce(brokers, topic, lines, { compression });
    if (r.code !== 0) throw new Error(`console producer (${compression}) failed: ${r.stderr}`);
  }
}

async function caughtUp(phase: string): Promise<boolean> {
  return (await groupLag(`${run}-${phase}-plain`, plainTopic)) === 0 && (await groupLag(`${run}-${phase}-json`, jsonTopic)) === 0;
}

async function stop(proc: Running): Promise<void> {
  proc.child.kill('SIGTERM');
  const { code } = await proc.exited;
  expect(code, proc.output().slice(-3000)).toBe(0);
}

let dir: string;
let expected: string[];
const running: Running[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sluice-e2e-'));
  await createTopic(plainTopic, 3);
  await createTopic(jsonTopic, 2);
  await produceAll();
  expected = [...(await expectedIds(plainTopic)), ...(await expectedIds(jsonTopic))].sort();
}, 300_000);

afterAll(() => {
  for (const p of running) if (p.child.exitCode === null) p.child.kill('SIGKILL');
});

describe('sluice run on real Kafka and Elasticsearch', () => {
  it('the topics hold exactly the 10,000 produced records', () => {
    expect(expected).toHaveLength(10_000);
  });

  it('indexes every record exactly once, with the expected ids and fields', async () => {
    const phase = 'clean';
    const pdir = mkdtempSync(join(dir, `${phase}-`));
    writePipelines(pdir, phase, {});
    const env = { KAFKA_BROKERS: services().brokers.join(','), ES_URL: services().esUrl };
    const proc = startSluice(['run', pdir], env);
    running.push(proc);
    await waitFor('both pipelines to catch up', () => caughtUp(phase), 180_000, 500);
    await stop(proc);

    const index = `${run}-${phase}-*`;
    expect(await esCount(index)).toBe(10_000);
    expect((await esIds(index)).sort()).toEqual(expected);

    // Fields: plain events carry the line, the added field, the conditional tag; json
    // events carry their parsed fields; nothing from @metadata is indexed.
    const tagged = await es(`/${index}/_count`, { method: 'POST', body: { query: { term: { tags: 'server_error' } } } });
    expect(tagged.count).toBe(serverErrors);
    const web = await es(`/${run}-${phase}-web-*/_search`, { method: 'POST', body: { size: 1, query: { term: { _id: `${plainTopic}-0-0` } } } });
    const webDoc = web.hits.hits[0];
    expect(webDoc._index).toMatch(new RegExp(`^${run}-${phase}-web-\\d{4}\\.\\d{2}\\.\\d{2}$`));
    expect(sampleLines).toContain(webDoc._source.message);
    expect(webDoc._source.service).toBe('web');
    expect(webDoc._source['@timestamp']).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(webDoc._source['@metadata']).toBeUndefined();
    const api = await es(`/${run}-${phase}-api-*/_search`, { method: 'POST', body: { size: 4000, _source: ['seq', 'message', 'detail', 'payload', 'level'] } });
    const docs = api.hits.hits.map((h: any) => h._source);
    expect(docs.map((d: any) => d.seq).sort((a: number, b: number) => a - b)).toEqual(Array.from({ length: 4000 }, (_, i) => i));
    for (const d of docs) {
      expect(d.message).toBe(`request ${d.seq} handled`);
      expect(d.detail).toEqual({ user: `u${d.seq % 7}` });
      expect(d.payload).toBeUndefined();
    }
  });

  it('loses and duplicates nothing when sluice run is SIGKILLed mid-stream and started again', async () => {
    const phase = 'crash';
    const pdir = mkdtempSync(join(dir, `${phase}-`));
    // Small in-flight limits stretch the run so the kill lands mid-stream; the shortest
    // session timeout the broker allows lets the group drop the killed member quickly.
    writePipelines(pdir, phase, { limits: { maxInFlightEvents: 300 } }, { sessionTimeoutMs: 6000, heartbeatIntervalMs: 1000 });
    const env = { KAFKA_BROKERS: services().brokers.join(','), ES_URL: services().esUrl };
    const index = `${run}-${phase}-*`;
    const first = startSluice(['run', pdir], env);
    running.push(first);
    await waitFor('the first documents of the crash run', async () => (await esCount(index).catch(() => 0)) >= 1000, 120_000, 50);
    first.child.kill('SIGKILL');
    await first.exited;
    const atKill = await esCount(index);
    expect(atKill, 'the kill must land mid-stream').toBeLessThan(10_000);

    const second = startSluice(['run', pdir], env);
    running.push(second);
    await waitFor('both pipelines to catch up after the restart', () => caughtUp(phase), 180_000, 500);
    await stop(second);
    // Ids first: on a failure they say which records are missing or duplicated.
    expect((await esIds(index)).sort()).toEqual(expected);
    expect(await esCount(index)).toBe(10_000);
  });
});
