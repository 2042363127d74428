/**
 * Java logs through the shipped pipelines/flume-prefix.json, end to end on real Kafka and
 * Elasticsearch with the real CLI: the Flume system's documented example line, and a 40-line
 * exception with two `Caused by:` sections whose lines are interleaved with lines from two
 * other hosts in the same partition (produced by Kafka's own console producer, keyed by
 * service as docs/pipelines.md advises). Exactly one document per log line, ided after its
 * first record; the exception inside its line's document; no document for a continuation.
 *
 * Shared stack (nothing here disturbs Kafka or Elasticsearch).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consoleProduce } from '../../scripts/stack/index.js';
import { es, esIds, groupLag, services, uniqueName } from '../helpers/services.js';
import { type Running } from '../helpers/sluice.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTopicReady, deleteIndices, diffIds, logLines, produce, runSluice, stopSluice, writePipeline, waitWithLogs } from '../helpers/faults.js';
import { javaException } from '../helpers/java-logs.js';

const run = uniqueName('e2e-multiline');
const topic = run;
const service = `orders${run.slice(-6)}`;
const EXAMPLE =
  'service1##$$##m1-ocean-1004.cp  [INFO]  2016-03-18 12:59:31,080 [main]  fountain.runner.CustomConsumerFactoryPostProcessor      (CustomConsumerFactoryPostProcessor.java:91)    -Start to init IoC container by loading XML bean definitions from classpath:fountain-consumer-stdout.xml';
const EXAMPLE_INDEX = 'logs-service1-2016.03.18';
const ordersIndex = `logs-${service}-*`;

/** The records in produce order, each with the host, whether it starts a log line, and its text. */
interface Line {
  host: string;
  starts: boolean;
  text: string;
}
const trace = javaException(40, 'c.e.orders.Checkout');
const lines: Line[] = [];
{
  const app01 = [{ host: 'app-01', starts: true, text: '2024-05-01 12:00:05,000 ERROR 101 --- [main] c.e.orders.Checkout : checkout 7 failed' }, ...trace.map((text) => ({ host: 'app-01', starts: false, text }))];
  let other = 0;
  for (let i = 0; i < app01.length; i++) {
    lines.push(app01[i]);
    // Every third line of the exception, a line from one of the two other hosts.
    if (i % 3 === 1) {
      const host = other % 2 === 0 ? 'app-02' : 'app-03';
      lines.push({ host, starts: true, text: `2024-05-01 12:00:05,${String(100 + other).padStart(3, '0')} INFO 202 --- [main] c.e.orders.Cart : ${host} line ${other}` });
      other++;
    }
  }
  lines.push({ host: 'app-01', starts: true, text: '2024-05-01 12:00:06,000 INFO 101 --- [main] c.e.orders.Checkout : checkout 8 done' });
}

let proc: Running | undefined;
const procs: Running[] = [];

beforeAll(async () => {
  await deleteIndices(EXAMPLE_INDEX);
  await createTopicReady(topic, 1);
}, 120_000);

afterAll(async () => {
  for (const p of [proc, ...procs]) if (p && p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
  await deleteIndices(EXAMPLE_INDEX);
  await deleteIndices(ordersIndex);
});

describe('Java logs through flume-prefix.json (real Kafka and Elasticsearch)', () => {
  it('indexes the documented example and a 40-line exception interleaved with two other hosts as exactly one document per log line', async () => {
    const { brokers } = services();
    // Keyed by service: every line of one service goes to one partition, in order.
    await consoleProduce(brokers, topic, [`service1|${EXAMPLE}`], { parseKey: true, keySeparator: '|' });
    await consoleProduce(
      brokers,
      topic,
      lines.map((l) => `${service}|${service}##$$##${l.host} ${l.text}`),
      { parseKey: true, keySeparator: '|' },
    );
    // One partition: the example at offset 0, then the orders lines.
    const expectedIds = [`${topic}-0-0`, ...lines.flatMap((l, i) => (l.starts ? [`${topic}-0-${1 + i}`] : []))];

    proc = runSluice(['pipelines/flume-prefix.json'], {
      FLUME_TOPIC: topic,
      FLUME_GROUP_ID: `${run}-group`,
      FLUME_DLQ_TOPIC: `${run}.dlq`,
      FLUME_MULTILINE_WAIT_MS: '1000',
    });
    const indices = `${EXAMPLE_INDEX}*,${ordersIndex}`;
    await waitWithLogs([proc], `${expectedIds.length} documents`, async () => (await esIds(indices)).length >= expectedIds.length, 60_000);
    expect(await stopSluice(proc), proc.output().slice(-3000)).toBe(0);

    const ids = await esIds(indices);
    expect(diffIds(expectedIds, ids).counts).toEqual({ duplicated: 0, missing: 0, unexpected: 0 });
    expect(ids).toHaveLength(1 + lines.filter((l) => l.starts).length);

    const example = (await es(`/${EXAMPLE_INDEX}/_doc/${topic}-0-0`))._source;
    expect(example).toMatchObject({
      service: { name: 'service1' },
      host: { name: 'm1-ocean-1004.cp' },
      '@timestamp': '2016-03-18T12:59:31.080Z',
      log: { level: 'INFO', logger: 'fountain.runner.CustomConsumerFactoryPostProcessor', origin: { file: { name: 'CustomConsumerFactoryPostProcessor.java', line: 91 } } },
      process: { thread: { name: 'main' } },
      message: 'Start to init IoC container by loading XML bean definitions from classpath:fountain-consumer-stdout.xml',
    });

    const errorId = `${topic}-0-1`;
    const error = (await es(`/${ordersIndex}/_search`, { method: 'POST', body: { query: { ids: { values: [errorId] } } } })).hits.hits[0]._source;
    // The exception lines, in order, as the pipeline keeps them (the prefix separator takes the leading tab).
    expect(error.message).toBe(['checkout 7 failed', ...trace.map((t) => t.replace(/^\s+/, ''))].join('\n'));
    expect(error).toMatchObject({ host: { name: 'app-01' }, log: { level: 'ERROR', logger: 'c.e.orders.Checkout' }, '@timestamp': '2024-05-01T12:00:05.000Z', tags: ['multiline'] });
    expect(error.message.match(/^Caused by: /gm)).toHaveLength(2);
    const docs = (await es(`/${ordersIndex}/_search`, { method: 'POST', body: { size: 100 } })).hits.hits.map((h: { _source: Record<string, any> }) => h._source);
    const others = docs.filter((d: Record<string, any>) => d.host.name !== 'app-01');
    expect(others.map((d: Record<string, any>) => d.message).sort()).toEqual(lines.filter((l) => l.host !== 'app-01').map((l) => l.text.replace(/^.* : /, '')).sort());
  }, 120_000);

  it('cuts a stream that never stops continuing at the in-flight limits: every line indexed once, in cut groups tagged _multiline_truncated', async () => {
    const endless = `${run}-endless`;
    await createTopicReady(endless, 1);
    const LINES = 3000;
    const texts = ['2024-05-01 12:00:00,000 ERROR [main] c.e.Loop - begins', ...Array.from({ length: LINES - 1 }, (_, i) => `\tat c.e.Loop.frame${i}(Loop.java:${i})`)];
    await produce(endless, LINES, (i) => texts[i], { partitionOf: () => 0, concurrency: 1 });
    const file = writePipeline(mkdtempSync(join(tmpdir(), 'sluice-e2e-multiline-')), {
      id: endless,
      topic: endless,
      groupId: endless,
      index: `${endless}-%{+yyyy.MM.dd}`,
      // Groups could grow to 100,000 lines; the pipeline holds at most 200 records.
      filters: [{ multiline: { maxLines: 100_000, maxWaitMs: 2000 } }],
      limits: { maxInFlightEvents: 200 },
    });
    const p = runSluice([file]);
    procs.push(p);
    await waitWithLogs([p], 'every line committed', async () => (await groupLag(endless, endless)) === 0, 60_000, 500);
    expect(await stopSluice(p), p.output().slice(-2000)).toBe(0);
    await es(`/${endless}-*/_refresh`, { method: 'POST' });
    const hits = (await es(`/${endless}-*/_search`, { method: 'POST', body: { size: 10_000, _source: ['message', 'tags'] } })).hits.hits as { _id: string; _source: { message: string; tags?: string[] } }[];
    hits.sort((x, y) => Number(x._id.split('-').pop()) - Number(y._id.split('-').pop()));
    expect(hits.flatMap((h) => h._source.message.split('\n'))).toEqual(texts);
    // Each cut at the limit, plus what one hand-over from the Kafka input may overshoot it by (500 records).
    expect(hits.length).toBeGreaterThanOrEqual(LINES / 700);
    for (const h of hits) expect(h._source.message.split('\n').length).toBeLessThanOrEqual(200 + 500);
    // Every group but the last was cut (the last may also have gone out after its wait).
    expect(hits.slice(0, -1).every((h) => h._source.tags?.includes('_multiline_truncated'))).toBe(true);
    expect(logLines(p).some((l) => String(l.msg).startsWith('open multiline groups fill the in-flight limits'))).toBe(true);
    await deleteIndices(`${endless}-*`);
  }, 120_000);
});
