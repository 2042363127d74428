/**
 * output.elasticsearch.nodes with more than one node, one of them down, against the real
 * Elasticsearch: the start goes through the node that answers, the bulk requests leave the
 * dead node out (src/outputs/elasticsearch/bulk-http.ts) instead of failing every other
 * request on it, and every record is indexed exactly once.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTopic, endOffsets, esCount, esIds, expectedIds, groupLag, services, uniqueName } from '../helpers/services.js';
import { freePort } from '../helpers/ports.js';
import { ROOT, type Running } from '../helpers/sluice.js';
import { countLogs, diffIds, produce, runSluice, stopSluice, waitWithLogs, writePipeline } from '../helpers/faults.js';

const lines = readFileSync(join(ROOT, 'samples', 'web-access.log'), 'utf8').split('\n').filter(Boolean);
const procs: Running[] = [];
afterAll(() => {
  for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
});


describe('output.elasticsearch.nodes with a dead node first', () => {
  it('starts through the live node, leaves the dead one out, and indexes every record exactly once', async () => {
    const TOTAL = 4000;
    const BATCH = 100;
    const run = uniqueName('es-nodes');
    await createTopic(run, 2);
    await produce(run, TOTAL, (i) => `${lines[i % lines.length]} seq=${i}`, { partitions: 2 });
    const dead = `http://127.0.0.1:${await freePort()}`;
    const pipeline = writePipeline(mkdtempSync(join(tmpdir(), 'sluice-es-nodes-')), {
      id: run,
      topic: run,
      groupId: run,
      index: run,
      output: { nodes: [dead, services().esUrl], batchMaxDocs: BATCH, concurrency: 2 },
    });
    const proc = runSluice([pipeline]);
    procs.push(proc);
    await waitWithLogs([proc], 'the group to catch up', async () => (await groupLag(run, run)) === 0, 120_000, 500);
    expect(await stopSluice(proc), proc.output().slice(-3000)).toBe(0);

    expect(countLogs(proc, /^connected to Elasticsearch/)).toBe(1);
    expect(await esCount(run)).toBe(TOTAL);
    expect(diffIds(await expectedIds(run), await esIds(run)).counts).toEqual({ duplicated: 0, missing: 0, unexpected: 0 });
    expect([...(await endOffsets(`${run}.dlq`).catch(() => new Map<number, number>())).values()].reduce((a, b) => a + b, 0)).toBe(0);
    // At least TOTAL / BATCH requests: sent in turn to both nodes, half of them would fail.
    // Left out for 1 s after a failure (doubling), the dead node sees a few at most.
    const failed = countLogs(proc, 'bulk request failed; retrying');
    expect(failed).toBeGreaterThan(0);
    expect(failed).toBeLessThan(TOTAL / BATCH / 4);
  }, 180_000);
});
