/**
 * Fault (f): a three-broker Kafka cluster (private stack `.stack-faults-kafka3`: KRaft, three
 * broker+controller nodes, min.insync.replicas 2), replication factor 3 on the source topic
 * and on the dead-letter topic (`deadLetter.replicationFactor: 3`). The broker leading the
 * busiest partition is SIGKILLed mid-run while records are still being produced. No loss:
 * every valid record is indexed exactly once, every invalid one is in the dead-letter topic.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { es, esCount, esIds, expectedIds, groupLag, uniqueName, waitFor } from '../helpers/services.js';
import type { Running } from '../helpers/sluice.js';
import { createTopicReady, diffIds, kafkaClient, sleep, elapsed, indexTemplate, logLines, privateStack, produce, runSluice, stopSluice, writePipeline, type PrivateStack, waitWithLogs } from '../helpers/faults.js';

const TOTAL = 60_000;
const PARTITIONS = 6;
const isInvalid = (i: number) => i % 500 === 250;
/** Half of the records go to partition 0: the busiest one. */
const partitionOf = (i: number) => (i % 2 === 0 ? 0 : 1 + ((i - 1) / 2) % (PARTITIONS - 1));
const value = (i: number) => (isInvalid(i) ? `{"seq":${i},"msg":"cut short` : JSON.stringify({ seq: i, msg: `request ${i}`, level: i % 10 ? 'info' : 'error' }));

let stack: PrivateStack;
const procs: Running[] = [];

beforeAll(async () => {
  const t0 = Date.now();
  stack = await privateStack('faults-kafka3', { brokers: 3, kafkaHeap: '384m' });
  console.log(`[kafka3] private 3-broker stack up in ${elapsed(t0)}: ${stack.brokers.join(',')}`);
}, 900_000);

afterAll(async () => {
  for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
  await stack?.stop();
}, 300_000);

async function leaderOf(topic: string, partition: number): Promise<number> {
  const admin = kafkaClient().admin();
  await admin.connect();
  try {
    const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
    return topics[0].partitions.find((p) => p.partitionId === partition)!.leader;
  } finally {
    await admin.disconnect();
  }
}

describe('fault (f): broker failure in a three-broker cluster', () => {
  it('loses nothing when the leader of the busiest partition is killed mid-run', async () => {
    const run = uniqueName('fault-broker');
    const dlq = `${run}.dlq`;
    await indexTemplate(run, `${run}-*`);
    await createTopicReady(run, PARTITIONS, 3);
    const ordered = Array.from({ length: TOTAL }, (_, i) => i);
    // First half now, second half while the broker is down.
    const firstHalf = TOTAL / 2;
    await produce(run, firstHalf, value, { partitionOf, idempotent: true });
    const dir = mkdtempSync(join(tmpdir(), 'sluice-fault-kafka3-'));
    const pipeline = writePipeline(dir, {
      id: run,
      topic: run,
      groupId: run,
      codec: 'json',
      index: `${run}-%{+yyyy.MM.dd}`,
      deadLetter: { topic: dlq, replicationFactor: 3, partitions: 2 },
    });
    const t0 = Date.now();
    const proc = runSluice([pipeline], process.env.SLUICE_FAULTS_LOG_LEVEL ? { SLUICE_LOG_LEVEL: process.env.SLUICE_FAULTS_LOG_LEVEL } : {});
    procs.push(proc);
    await waitWithLogs([proc], 'a quarter of the records', async () => (await es(`/${run}-*/_count`))?.count >= TOTAL / 4 - 100, 240_000, 200);
    // The second half is produced while the broker dies (idempotent, acks=all: two in-sync
    // replicas are left), like the live producers of a real cluster.
    const producer = kafkaClient('sluice-faults-producer').producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
    await producer.connect();
    const secondHalf = produce(run, TOTAL - firstHalf, (j) => value(firstHalf + j), { partitionOf: (j) => partitionOf(firstHalf + j), producer, batch: 500, concurrency: 1 });
    await sleep(1000);
    const victim = await leaderOf(run, 0);
    await stack.stack.killBroker(victim);
    const killedAt = Date.now();
    const atKill = await esCount(`${run}-*`);
    console.log(`[kafka3] broker ${victim} (leader of partition 0) SIGKILLed ${elapsed(t0)} into the run, ${atKill} documents indexed`);
    await secondHalf;
    await producer.disconnect();
    console.log(`[kafka3] second half produced; new leader of partition 0: ${await leaderOf(run, 0)}`);
    await waitWithLogs([proc], 'the group to catch up with a broker down', async () => (await groupLag(run, run)) === 0, 300_000, 1000);
    console.log(`[kafka3] caught up ${elapsed(killedAt)} after the kill`);
    const stopping = Date.now();
    expect(await stopSluice(proc), proc.output().slice(-3000)).toBe(0);
    console.log(`[kafka3] sluice stopped (SIGTERM, exit 0) in ${elapsed(stopping)} with broker ${victim} still down`);

    // Verification with the whole cluster again (kafkajs test clients need not ride out the fault).
    await stack.stack.startBroker(victim);
    const invalid = ordered.filter(isInvalid);
    const expected = await expectedIds(run);
    expect(expected).toHaveLength(TOTAL);
    // ES: every valid record once. Which ids are invalid: read them back from the topic order.
    const ids = await esIds(`${run}-*`);
    expect(ids).toHaveLength(TOTAL - invalid.length);
    const diff = diffIds(expected, ids);
    expect({ duplicated: diff.counts.duplicated, unexpected: diff.counts.unexpected, missing: diff.counts.missing }).toEqual({ duplicated: 0, unexpected: 0, missing: invalid.length });

    // The dead-letter topic (RF 3) holds each invalid record, whose ids are exactly the missing ones.
    const reading = Date.now();
    const letters = await readAll(dlq);
    console.log(`[kafka3] dead-letter topic read in ${elapsed(reading)}`);
    const sources = letters.map((h) => `${run}-${h['sluice.dlq.source.partition']}-${h['sluice.dlq.source.offset']}`);
    expect(new Set(sources).size, 'distinct dead letters').toBe(invalid.length);
    const indexed = new Set(ids);
    const missing = new Set(expected.filter((id) => !indexed.has(id)));
    for (const s of sources) expect(missing.has(s), `${s} dead-lettered and not indexed`).toBe(true);
    console.log(`[kafka3] ${letters.length} dead letters for ${invalid.length} invalid records; kafkajs warnings/errors in sluice's log: ${logLines(proc).filter((l) => l.level >= 40 && l.kafkajs !== undefined).length}`);
    expect(letters.length, 'no dead letter twice (idempotent producer)').toBe(invalid.length);
  }, 900_000);
});

/** Headers of every record of a topic (kafkajs, from the beginning, until idle for 5 s). */
async function readAll(topic: string): Promise<Record<string, string>[]> {
  const consumer = kafkaClient().consumer({ groupId: uniqueName('reader') });
  const out: Record<string, string>[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    let last = Date.now();
    void consumer.run({
      eachMessage: async ({ message }) => {
        const h: Record<string, string> = {};
        for (const [k, v] of Object.entries(message.headers ?? {})) h[k] = String(v);
        out.push(h);
        last = Date.now();
      },
    });
    await waitFor('the dead-letter topic to be read', () => Date.now() - last > 5000 && out.length > 0, 120_000, 500);
    console.log(`[kafka3] read ${out.length} dead letters`);
  } finally {
    // kafkajs' disconnect can hang (a rebalance in progress after a broker came back): do not wait forever.
    await Promise.race([consumer.disconnect().catch(() => undefined), new Promise((r) => setTimeout(r, 10_000))]);
  }
  return out;
}
