/**
 * Fault (a): `sluice run` SIGKILLed five times at random moments during a 200,000-record run.
 * In the end exactly 200,000 documents, every expected `_id` (`<topic>-<partition>-<offset>`)
 * once: offsets are committed only up to the first unsettled record, and a re-read record
 * overwrites its own document.
 *
 * Shared stack (nothing here disturbs Kafka or Elasticsearch).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTopic, es, esCount, esIds, expectedIds, groupLag, uniqueName, waitFor } from '../helpers/services.js';
import { ROOT, type Running } from '../helpers/sluice.js';
import { deleteIndices, diffIds, elapsed, indexTemplate, produce, runSluice, saveLogs, sleep, stopSluice, writePipeline, waitWithLogs } from '../helpers/faults.js';

const TOTAL = Number(process.env.SLUICE_FAULTS_KILL_RECORDS ?? 200_000);
const KILLS = 5;
const PARTITIONS = 4;
const run = uniqueName('fault-kill');
const topic = run;
const groupId = `${run}-group`;
const lines = readFileSync(join(ROOT, 'samples', 'web-access.log'), 'utf8').split('\n').filter(Boolean);

let pipeline: string;
const procs: Running[] = [];

beforeAll(async () => {
  const t0 = Date.now();
  await indexTemplate(run, `${run}-*`);
  await createTopic(topic, PARTITIONS);
  await produce(topic, TOTAL, (i) => `${lines[i % lines.length]} seq=${i}`, { batch: 2000, partitions: PARTITIONS, idempotent: true });
  console.log(`[kill] produced ${TOTAL} records in ${elapsed(t0)}`);
  const dir = mkdtempSync(join(tmpdir(), 'sluice-fault-kill-'));
  pipeline = writePipeline(dir, {
    id: run,
    topic,
    groupId,
    index: `${run}-%{+yyyy.MM.dd}`,
    filters: [
      { mutate: { addField: { 'service.name': 'web' } } },
      { mutate: { addTag: ['server_error'] }, when: 'message =~ /" 5\\d\\d /' },
    ],
    // A dead member holds up the next rebalance until its session expires: 10 s instead of
    // the default 30 s keeps five kills from adding minutes of waiting.
    input: { sessionTimeoutMs: 10_000, heartbeatIntervalMs: 1000 },
    output: { batchMaxDocs: 5000, concurrency: 2 },
  });
}, 300_000);

afterAll(async () => {
  for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
  await deleteIndices(`${run}-*`);
  await es(`/_index_template/${run}`, { method: 'DELETE' }).catch(() => undefined);
});

describe('fault (a): SIGKILL during a run', () => {
  it(`indexes exactly ${TOTAL.toLocaleString('en-US')} documents after ${KILLS} SIGKILLs at random moments`, async () => {
    const t0 = Date.now();
    // Kill points: kill k comes at a random point of the k-th of five slices of the first
    // 63 % of the run (3-12 %, 15-24 %, ..., 51-60 %) and at least 1 % beyond what was indexed
    // when its process started, plus a random delay of up to a second: kills land anywhere
    // (mid-bulk, mid-commit, right after a rebalance), yet always before the end. The count
    // is refreshed at each look: an unrefreshed count lags by up to the 1 s refresh interval,
    // long enough at full speed for the last kill to come after the last record.
    const kills: { at: number; docsAtKill: number; delayMs: number }[] = [];
    for (let k = 0; k < KILLS; k++) {
      const before = await esCount(`${run}-*`);
      const planned = Math.floor((0.03 + 0.12 * k + Math.random() * 0.09) * TOTAL);
      const mark = Math.min(TOTAL - 1, Math.max(planned, before + Math.floor(0.01 * TOTAL)));
      const proc = runSluice([pipeline]);
      procs.push(proc);
      await waitWithLogs([proc], `${mark} documents before kill ${k + 1}`, async () => (await esCount(`${run}-*`)) >= mark, 240_000, 200);
      const delayMs = Math.floor(Math.random() * 1000);
      await sleep(delayMs);
      proc.child.kill('SIGKILL');
      await proc.exited;
      const docs = await esCount(`${run}-*`);
      kills.push({ at: Math.round((Date.now() - t0) / 100) / 10, docsAtKill: docs, delayMs });
      expect(docs, `kill ${k + 1} must land mid-run`).toBeLessThan(TOTAL);
    }
    console.log(`[kill] kills (seconds into the run, documents indexed then): ${JSON.stringify(kills)}`);

    const last = runSluice([pipeline]);
    procs.push(last);
    await waitWithLogs([last], 'the group to catch up after the last restart', async () => (await groupLag(groupId, topic)) === 0, 300_000, 1000);
    expect(await stopSluice(last), last.output().slice(-3000)).toBe(0);
    console.log(`[kill] ${TOTAL} records with ${KILLS} SIGKILLs indexed in ${elapsed(t0)}`);

    // The topic first: a record lost or doubled by the test's own producer is not sluice's.
    const expected = await expectedIds(topic);
    expect(expected, 'records in the source topic').toHaveLength(TOTAL);
    expect(await esCount(`${run}-*`)).toBe(TOTAL);
    const diff = diffIds(expected, await esIds(`${run}-*`));
    if (diff.counts.missing + diff.counts.duplicated + diff.counts.unexpected > 0) {
      // Keep the evidence: every process's log, to find which generation lost what.
      const logs = saveLogs(procs, 'fault-kill');
      console.error(`[kill] ids differ: ${JSON.stringify(diff)}; logs of the ${procs.length} processes in ${logs}`);
    }
    expect(diff.counts).toEqual({ duplicated: 0, missing: 0, unexpected: 0 });
  }, 900_000);
});
