/**
 * Fault (e): three `sluice run` processes in one consumer group; one is SIGKILLed mid-run and
 * a fourth joins later. Every record is indexed exactly once: partitions move between
 * members (the killed one's after its session expires, some to the newcomer), each new owner
 * starts from the committed offset, which never passes an unsettled record, and re-read
 * records overwrite their own documents.
 *
 * Shared stack.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTopic, es, esCount, esIds, expectedIds, groupLag, uniqueName, waitFor } from '../helpers/services.js';
import { ROOT, type Running } from '../helpers/sluice.js';
import { deleteIndices, diffIds, elapsed, indexTemplate, logLines, produce, runSluice, saveLogs, stopSluice, writePipeline, waitWithLogs } from '../helpers/faults.js';

const TOTAL = 120_000;
const PARTITIONS = 6;
const run = uniqueName('fault-group');
const lines = readFileSync(join(ROOT, 'samples', 'web-access.log'), 'utf8').split('\n').filter(Boolean);
const procs: Running[] = [];
let pipeline: string;

const count = async () => (await es(`/${run}-*/_count`))?.count ?? 0;
const assignments = (p: Running) => logLines(p).filter((l) => l.msg === 'partitions assigned').map((l) => Object.values(l.assignment ?? {}).flat().length);

beforeAll(async () => {
  await indexTemplate(run, `${run}-*`);
  await createTopic(run, PARTITIONS);
  await produce(run, TOTAL, (i) => `${lines[i % lines.length]} seq=${i}`, { partitions: PARTITIONS });
  const dir = mkdtempSync(join(tmpdir(), 'sluice-fault-group-'));
  pipeline = writePipeline(dir, {
    id: run,
    topic: run,
    groupId: run,
    index: `${run}-%{+yyyy.MM.dd}`,
    // The killed member's partitions wait for its session to expire: 10 s, not 30.
    input: { sessionTimeoutMs: 10_000, heartbeatIntervalMs: 1000 },
    filters: [{ mutate: { addField: { 'service.name': 'web' } } }],
  });
}, 300_000);

afterAll(async () => {
  if (process.env.SLUICE_FAULTS_LOG_LEVEL) console.log(`[group] logs in ${saveLogs(procs, 'fault-group')}`);
  for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
  await deleteIndices(`${run}-*`);
  await es(`/_index_template/${run}`, { method: 'DELETE' }).catch(() => undefined);
});

describe('fault (e): replicas of one consumer group', () => {
  it('indexes every record exactly once when one of three members is killed and a fourth joins', async () => {
    const t0 = Date.now();
    const [a, b, c] = [runSluice([pipeline]), runSluice([pipeline]), runSluice([pipeline])];
    procs.push(a, b, c);
    await waitWithLogs(
      [a, b, c],
      'three members with partitions and a quarter of the records indexed',
      async () => [a, b, c].every((p) => assignments(p).some((n) => n > 0)) && (await count()) >= TOTAL / 4,
      240_000,
      200,
    );
    b.child.kill('SIGKILL');
    await b.exited;
    const atKill = await esCount(`${run}-*`);
    console.log(`[group] member B killed ${elapsed(t0)} into the run with ${atKill} documents indexed`);
    expect(atKill).toBeLessThan(TOTAL);

    await waitWithLogs([a, c], 'more than half of the records', async () => (await count()) >= TOTAL * 0.55, 240_000, 200);
    const d = runSluice([pipeline]);
    procs.push(d);
    const atJoin = await esCount(`${run}-*`);
    console.log(`[group] member D started ${elapsed(t0)} into the run with ${atJoin} documents indexed`);
    await waitWithLogs([a, c, d], 'member D to get partitions', async () => assignments(d).some((n) => n > 0), 120_000, 200);

    await waitWithLogs([a, c, d], 'the group to catch up', async () => (await groupLag(run, run)) === 0, 300_000, 1000);
    const codes = await Promise.all([a, c, d].map((p) => stopSluice(p)));
    expect(codes, [a, c, d].map((p) => p.output().slice(-1500)).join('\n----\n')).toEqual([0, 0, 0]);
    console.log(`[group] ${TOTAL} records, 3 members, 1 killed, 1 joined: caught up in ${elapsed(t0)}`);
    console.log(`[group] partitions per assignment: A ${JSON.stringify(assignments(a))} B ${JSON.stringify(assignments(b))} C ${JSON.stringify(assignments(c))} D ${JSON.stringify(assignments(d))}`);
    // The survivors took over B's partitions, then gave some to D.
    expect(assignments(a).length + assignments(c).length).toBeGreaterThanOrEqual(4);

    expect(await esCount(`${run}-*`)).toBe(TOTAL);
    expect(diffIds(await expectedIds(run), await esIds(`${run}-*`)).counts).toEqual({ duplicated: 0, missing: 0, unexpected: 0 });
  }, 900_000);
});
