/**
 * Partitions taken over in a rebalance are fetched, also by a member whose fetching was
 * paused and resumed before (in-flight limits). kafkajs keeps a topic-wide pause with
 * per-partition exceptions when partitions are resumed one by one: a partition assigned
 * later then stayed paused forever, with the member still in the group and /readyz ready.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTopic, esCount, esIds, expectedIds, groupLag, uniqueName } from './helpers/services.js';
import { ROOT, type Running } from './helpers/sluice.js';
import { countLogs, deleteIndices, diffIds, indexTemplate, logLines, produce, runSluice, stopSluice, waitWithLogs, writePipeline } from './helpers/faults.js';

const PARTITIONS = 4;
const BATCH = 8000;
const run = uniqueName('rebalance');
const lines = readFileSync(join(ROOT, 'samples', 'web-access.log'), 'utf8').split('\n').filter(Boolean);
let pipeline: string;
const procs: Running[] = [];

beforeAll(async () => {
  await indexTemplate(run, `${run}-*`);
  await createTopic(run, PARTITIONS);
  pipeline = writePipeline(mkdtempSync(join(tmpdir(), 'sluice-rebalance-')), {
    id: run,
    topic: run,
    groupId: run,
    index: `${run}-%{+yyyy.MM.dd}`,
    input: { sessionTimeoutMs: 10_000, heartbeatIntervalMs: 1000 },
    // Small in-flight limits: fetching pauses and resumes many times.
    limits: { maxInFlightEvents: 300 },
    output: { batchMaxDocs: 100 },
  });
}, 120_000);

afterAll(async () => {
  for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
  await deleteIndices(`${run}-*`);
});

const assigned = (p: Running) => logLines(p).filter((l) => l.msg === 'partitions assigned').map((l) => Object.values(l.assignment as Record<string, number[]>).flat().length);

describe('kafka input across rebalances', () => {
  it('fetches partitions taken over from a member that left, after its own fetching was paused and resumed', async () => {
    const a = runSluice([pipeline], { SLUICE_LOG_LEVEL: 'debug' });
    procs.push(a);
    await waitWithLogs([a], 'A to join', () => assigned(a).length > 0, 120_000);
    const b = runSluice([pipeline], { SLUICE_LOG_LEVEL: 'debug' });
    procs.push(b);
    await waitWithLogs([a, b], 'A and B to share the partitions', () => assigned(b).some((n) => n > 0) && assigned(a).at(-1)! < PARTITIONS, 120_000, 200);
    const bPartitions = Object.values(logLines(b).filter((l) => l.msg === 'partitions assigned').at(-1)!.assignment as Record<string, number[]>).flat();

    await produce(run, BATCH, (i) => `${lines[i % lines.length]} seq=${i}`, { partitions: PARTITIONS, idempotent: true });
    await waitWithLogs([a, b], 'A and B to catch up', async () => (await groupLag(run, run)) === 0, 180_000, 500);
    // A paused and resumed fetching while it worked through its share.
    expect(countLogs(a, 'in-flight limit reached; fetching paused')).toBeGreaterThan(0);

    // B leaves and A takes over B's partitions; new records arrive only there, so nothing
    // else makes A pause and resume again.
    expect(await stopSluice(b)).toBe(0);
    await waitWithLogs([a], 'A to take over every partition', () => assigned(a).at(-1) === PARTITIONS, 60_000);
    await produce(run, BATCH, (i) => `${lines[(BATCH + i) % lines.length]} seq=${BATCH + i}`, { partitionOf: (i) => bPartitions[i % bPartitions.length], idempotent: true });
    await waitWithLogs([a], `A to read the new records on the partitions it took over (${bPartitions.join(', ')})`, async () => (await groupLag(run, run)) === 0, 120_000, 500);
    expect(await stopSluice(a)).toBe(0);

    expect(await esCount(`${run}-*`)).toBe(2 * BATCH);
    expect(diffIds(await expectedIds(run), await esIds(`${run}-*`)).counts).toEqual({ duplicated: 0, missing: 0, unexpected: 0 });
  }, 600_000);
});
