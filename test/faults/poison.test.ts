/**
 * Fault (g): poison records. Invalid JSON for the json codec, invalid UTF-8, a 5 MiB record,
 * JSON nested 100,000 deep and a line that makes a grok expression backtrack catastrophically
 * (src/filters/grok/fixtures/catastrophic.json), mixed into ordinary records on two partitions.
 * The same topic runs through two pipelines in one `sluice run`:
 *   - `dlq`: onDecodeError dead_letter, onFilterTimeout dead_letter → each poison record is in
 *     the dead-letter topic (decode_failed ×3, too_large, filter_timeout) byte for byte;
 *   - `tag`: onDecodeError tag, onFilterTimeout tag → each is indexed and tagged
 *     (`_decodefailure`, `_groktimeout`) except the 5 MiB one, which is always `too_large`.
 * The `dlq` pipeline's dead-letter topic is created by sluice, sized like the source topic, so
 * the 5 MiB letter is stored byte for byte; the `tag` pipeline's exists already with the broker's
 * 1 MB limit, so its letter is sent truncated (`sluice.dlq.value_truncated`), not retried forever.
 * In both, every ordinary record (before and after the poison, on both partitions) is indexed.
 *
 * Then slow batches: 80 records, half of them that each run into the filter time limit (~250 ms), fetched
 * as one batch, with a 6 s session timeout: the consumer must keep its heartbeats and stay in
 * the group (one assignment, no failed commits).
 *
 * Shared stack.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import kafkajs from 'kafkajs';
import { consoleConsume } from '../../scripts/stack/index.js';
import { createTopic, es, esCount, groupLag, kafkaClient, services, uniqueName, waitFor } from '../helpers/services.js';
import { ROOT, type Running } from '../helpers/sluice.js';
import { DLQ_HEADERS, countLogs, deleteIndices, elapsed, indexTemplate, logLines, parseConsoleRecord, runSluice, stopSluice, writePipeline, waitWithLogs } from '../helpers/faults.js';

const run = uniqueName('fault-poison');
const topic = run;
const catastrophic = JSON.parse(readFileSync(join(ROOT, 'src', 'filters', 'grok', 'fixtures', 'catastrophic.json'), 'utf8')) as { pattern: string; line: string };
const grokStep = { grok: { field: 'message', patterns: [catastrophic.pattern], overwrite: ['message'] } };
// Short text after ": ", so the fixture's expression matches ordinary lines quickly.
const okLine = (i: number) => `Mar 16 00:01:25 evita postfix/smtpd[1713]: ok ${i}`;

const GOOD = 4000;
const MIB = 1024 * 1024;
/** Poison kind → where it goes in the stream (record index) and its bytes. */
const poison: { kind: string; at: number; value: Buffer; dlqReason: string; tag?: string }[] = [
  { kind: 'invalid JSON', at: 500, value: Buffer.from('{"seq": 500, "message": "unterminated'), dlqReason: 'decode_failed', tag: '_decodefailure' },
  {
    kind: 'invalid UTF-8',
    at: 1001,
    value: Buffer.concat([Buffer.from('{"seq":1001,"message":"caf'), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from('"}')]),
    dlqReason: 'decode_failed',
    tag: '_decodefailure',
  },
  { kind: '5 MiB record', at: 1500, value: Buffer.from(JSON.stringify({ seq: 1500, message: 'x'.repeat(5 * MIB) })), dlqReason: 'too_large' },
  { kind: '100,000-deep JSON', at: 2001, value: Buffer.from(`${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}`), dlqReason: 'decode_failed', tag: '_decodefailure' },
  { kind: 'catastrophic backtracking', at: 2500, value: Buffer.from(JSON.stringify({ seq: 2500, message: catastrophic.line })), dlqReason: 'filter_timeout', tag: '_groktimeout' },
];
const TOTAL = GOOD + poison.length;
/** The stream: ordinary records with the poison ones at their places; partition = index % 2. */
const values: Buffer[] = [];
for (let i = 0, g = 0; i < TOTAL; i++) {
  const p = poison.find((x) => x.at === i);
  values.push(p ? p.value : Buffer.from(JSON.stringify({ seq: i, message: okLine(g++) })));
}
const idOf = (i: number) => `${topic}-${i % 2}-${Math.floor(i / 2)}`;

let proc: Running | undefined;
let slowProc: Running | undefined;

async function createBigTopic(name: string, partitions: number): Promise<void> {
  const admin = kafkaClient().admin();
  await admin.connect();
  try {
    // The 5 MiB record needs a topic that accepts it (the broker default is 1 MB).
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic: name, numPartitions: partitions, configEntries: [{ name: 'max.message.bytes', value: String(8 * MIB) }] }] });
  } finally {
    await admin.disconnect();
  }
}

beforeAll(async () => {
  await indexTemplate(run, `${run}-*`);
  await createBigTopic(topic, 2);
  // The tag pipeline's dead-letter topic exists already, with the broker's default size limit.
  await createTopic(`${run}-tag.dlq`, 1);
  const producer = kafkaClient().producer();
  await producer.connect();
  // In order, one record per send where it matters, so offsets are exactly index / 2.
  for (let start = 0; start < TOTAL; start += 500) {
    const messages = values.slice(start, start + 500).map((value, j) => ({ partition: (start + j) % 2, key: `k${start + j}`, value }));
    await producer.send({ topic, acks: -1, compression: kafkajs.CompressionTypes.None, messages });
  }
  await producer.disconnect();
}, 300_000);

afterAll(async () => {
  for (const p of [proc, slowProc]) if (p && p.child.exitCode === null) p.child.kill('SIGKILL');
  await deleteIndices(`${run}-*`);
  await es(`/_index_template/${run}`, { method: 'DELETE' }).catch(() => undefined);
});

describe('fault (g): poison records', () => {
  it('dead-letters or tags each poison record as configured while every other record is indexed', async () => {
    const t0 = Date.now();
    const dir = mkdtempSync(join(tmpdir(), 'sluice-fault-poison-'));
    writePipeline(dir, {
      id: `${run}-dlq`,
      topic,
      groupId: `${run}-dlq`,
      codec: 'json',
      index: `${run}-dlq`,
      input: { onDecodeError: 'dead_letter' },
      filters: [grokStep],
      limits: { onFilterTimeout: 'dead_letter' },
    });
    writePipeline(dir, {
      id: `${run}-tag`,
      topic,
      groupId: `${run}-tag`,
      codec: 'json',
      index: `${run}-tag`,
      input: { onDecodeError: 'tag' },
      filters: [grokStep],
      limits: { onFilterTimeout: 'tag' },
    });
    proc = runSluice([dir]);
    await waitWithLogs(
      [proc],
      'both pipelines to catch up',
      async () => (await groupLag(`${run}-dlq`, topic)) === 0 && (await groupLag(`${run}-tag`, topic)) === 0,
      240_000,
      1000,
    );
    expect(await stopSluice(proc), proc.output().slice(-3000)).toBe(0);
    console.log(`[poison] both pipelines done in ${elapsed(t0)}`);

    // dlq pipeline: every ordinary record indexed, each poison record dead-lettered.
    expect(await esCount(`${run}-dlq`)).toBe(GOOD);
    const dlqLetters = await readDeadLetters(`${run}-dlq.dlq`, poison.length);
    expect(dlqLetters).toHaveLength(poison.length);
    for (const p of poison) {
      const letter = dlqLetters.find((l) => l.headers['sluice.dlq.source.offset'] === String(Math.floor(p.at / 2)) && l.headers['sluice.dlq.source.partition'] === String(p.at % 2));
      expect(letter, `${p.kind} in the dead-letter topic`).toBeDefined();
      expect(letter!.headers['sluice.dlq.reason'], p.kind).toBe(p.dlqReason);
      expect(letter!.value.equals(p.value), `${p.kind}: the dead letter holds the original bytes`).toBe(true);
      expect(letter!.key).toBe(`k${p.at}`);
      for (const h of DLQ_HEADERS) expect(letter!.headers, `${p.kind}: ${h}`).toHaveProperty([h]);
    }
    console.log(`[poison] dead letters: ${dlqLetters.map((l) => `${l.headers['sluice.dlq.reason']} (${l.headers['sluice.dlq.stage']}): ${l.headers['sluice.dlq.error'].slice(0, 120)}`).join(' | ')}`);

    // The console consumer shows them too (headers and the original value).
    const shown = await consoleConsume(services().brokers, `${run}-dlq.dlq`, { printHeaders: true, printKey: true, maxMessages: poison.length, timeoutMs: 30_000 });
    expect(shown.lines).toHaveLength(poison.length);
    const invalidJson = shown.lines.map((l) => parseConsoleRecord(l)).find((r) => r.key === 'k500');
    expect(invalidJson?.value).toBe(poison[0].value.toString());
    expect(invalidJson?.headers['sluice.dlq.reason']).toBe('decode_failed');

    // tag pipeline: every record indexed, poison tagged, except the 5 MiB one (too_large).
    expect(await esCount(`${run}-tag`)).toBe(TOTAL - 1);
    for (const p of poison) {
      const r = await es(`/${run}-tag/_search`, { method: 'POST', body: { query: { ids: { values: [idOf(p.at)] } }, _source: ['tags'] } });
      if (p.tag) expect(r.hits.hits[0]?._source?.tags, p.kind).toContain(p.tag);
      else expect(r.hits.total.value, p.kind).toBe(0);
    }
    // Its dead-letter topic existed before with the broker's 1 MB limit: the letter is sent
    // with its value cut to 256 KiB and the original size in sluice.dlq.value_truncated,
    // instead of being retried forever.
    const tagLetters = await readDeadLetters(`${run}-tag.dlq`, 1);
    expect(tagLetters.map((l) => l.headers['sluice.dlq.reason'])).toEqual(['too_large']);
    const big = poison.find((p) => p.dlqReason === 'too_large')!.value;
    expect(tagLetters[0].headers['sluice.dlq.value_truncated']).toBe(String(big.length));
    expect(tagLetters[0].value.equals(big.subarray(0, 256 * 1024))).toBe(true);

    // Ordinary records after each poison record, on its partition, made it.
    const after = poison.map((p) => idOf(p.at + 2));
    const r = await es(`/${run}-dlq/_search`, { method: 'POST', body: { query: { ids: { values: after } }, size: 10 } });
    expect(r.hits.total.value).toBe(after.length);
  }, 600_000);

  it('keeps its place in the consumer group while a batch of slow records is processed', async () => {
    const slowTopic = `${run}-slow`;
    const SLOW = 80;
    await createBigTopic(slowTopic, 1);
    const producer = kafkaClient().producer();
    await producer.connect();
    const slowValues = Array.from({ length: SLOW }, (_, i) => JSON.stringify({ seq: i, message: i % 2 ? catastrophic.line : okLine(i) }));
    await producer.send({ topic: slowTopic, acks: -1, messages: slowValues.map((value) => ({ value })) });
    await producer.disconnect();

    const dir = mkdtempSync(join(tmpdir(), 'sluice-fault-slow-'));
    const file = writePipeline(dir, {
      id: `${run}-slow`,
      topic: slowTopic,
      groupId: `${run}-slow`,
      codec: 'json',
      index: `${run}-slow`,
      // The shortest session the broker allows: 40 records that hit the limit take ~10 s, more than 6 s.
      input: { sessionTimeoutMs: 6000, heartbeatIntervalMs: 1000 },
      filters: [grokStep],
    });
    const t0 = Date.now();
    slowProc = runSluice([file]);
    await waitWithLogs([slowProc], 'the slow batch to be indexed', async () => (await groupLag(`${run}-slow`, slowTopic)) === 0, 180_000, 1000);
    expect(await stopSluice(slowProc), slowProc.output().slice(-3000)).toBe(0);
    console.log(`[poison] ${SLOW} slow records (${SLOW / 2} interrupted after the filter time limit) in ${elapsed(t0)}`);
    expect(await esCount(`${run}-slow`)).toBe(SLOW);
    const tagged = await es(`/${run}-slow/_count`, { method: 'POST', body: { query: { term: { tags: '_groktimeout' } } } });
    expect(tagged.count).toBe(SLOW / 2);
    // One assignment for the whole run: never kicked out and re-joined.
    const logs = logLines(slowProc);
    const assigned = logs.filter((l) => l.msg === 'partitions assigned' && Object.keys(l.assignment ?? {}).length > 0);
    const troubles = logs.filter((l) => /not aware of this member|rebalanc|commit failed/i.test(String(l.msg)));
    expect({ assignments: assigned.length, troubles: troubles.map((l) => l.msg) }).toEqual({ assignments: 1, troubles: [] });
    expect(countLogs(slowProc, 'offset commit failed; will retry')).toBe(0);
  }, 300_000);
});

interface Letter {
  key: string | null;
  value: Buffer;
  headers: Record<string, string>;
}

/** Reads `count` records from a dead-letter topic with kafkajs (byte-exact values). */
async function readDeadLetters(dlqTopic: string, count: number): Promise<Letter[]> {
  const consumer = kafkaClient().consumer({ groupId: uniqueName('dlq-reader'), maxBytesPerPartition: 16 * MIB, maxBytes: 32 * MIB });
  const letters: Letter[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [dlqTopic], fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`only ${letters.length} of ${count} dead letters in ${dlqTopic} after 60 s`)), 60_000);
      void consumer.run({
        eachMessage: async ({ message }) => {
          const headers: Record<string, string> = {};
          for (const [k, v] of Object.entries(message.headers ?? {})) headers[k] = Buffer.isBuffer(v) ? v.toString('utf8') : String(v);
          letters.push({ key: message.key?.toString('utf8') ?? null, value: message.value ?? Buffer.alloc(0), headers });
          if (letters.length >= count) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
    // Anything beyond `count` would be a duplicate: give it a moment to show up.
    await new Promise((r) => setTimeout(r, 2000));
  } finally {
    // kafkajs' disconnect can hang (a rebalance in progress after a broker came back): do not wait forever.
    await Promise.race([consumer.disconnect().catch(() => undefined), new Promise((r) => setTimeout(r, 10_000))]);
  }
  return letters;
}
