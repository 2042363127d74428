/**
 * Faults of Elasticsearch itself, on a private stack (`.stack-faults-es`, started clean and
 * stopped at the end) because they stop and restart Elasticsearch:
 *
 * (b) Elasticsearch stopped for 60 s mid-run, then started again on the same data: no loss,
 *     no duplicates, sluice resumes by itself (no restart), fetching pauses at the in-flight
 *     limit and memory stays flat meanwhile (RSS sampled every 2 s; peak VmHWM reported).
 * (b, shutdown) SIGTERM while Elasticsearch is down: sluice exits after --shutdown-timeout
 *     (it used to hang, its retry loop keeping the process alive), commits only settled
 *     offsets, and a later run of the group indexes the rest, once.
 * (d) Elasticsearch restarted with a write thread pool of 1 and a queue of 2: real HTTP 429s
 *     (`es_rejected_execution_exception`) under concurrent bulk load. Everything is indexed in
 *     the end, nothing is dead-lettered, and the run did see retries.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTopic, endOffsets, es, esCount, esIds, expectedIds, groupLag, uniqueName, waitFor } from '../helpers/services.js';
import { ROOT, type Running } from '../helpers/sluice.js';
import {
  countLogs,
  diffIds,
  elapsed,
  indexTemplate,
  logLines,
  mib,
  privateStack,
  procStats,
  produce,
  runSluice,
  sampleRss,
  sleep,
  stopSluice,
  writePipeline,
  type PrivateStack, waitWithLogs, saveLogs } from '../helpers/faults.js';

const OUTAGE_MS = Number(process.env.SLUICE_FAULTS_ES_OUTAGE_MS ?? 60_000);
const lines = readFileSync(join(ROOT, 'samples', 'web-access.log'), 'utf8').split('\n').filter(Boolean);
const procs: Running[] = [];
let stack: PrivateStack;
let dir: string;

beforeAll(async () => {
  const t0 = Date.now();
  stack = await privateStack('faults-es');
  dir = mkdtempSync(join(tmpdir(), 'sluice-fault-es-'));
  console.log(`[es] private stack up in ${elapsed(t0)}: ${stack.brokers.join(',')} ${stack.esUrl}`);
}, 900_000);

afterAll(async () => {
  if (process.env.SLUICE_FAULTS_LOG_LEVEL) console.log(`[es] logs in ${saveLogs(procs, 'fault-es')}`);
  for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
  await stack?.stop();
}, 300_000);

/** An index template for `<run>-*` and a topic of `total` access-log lines over `partitions`. */
async function seed(run: string, total: number, partitions: number): Promise<void> {
  await indexTemplate(run, `${run}-*`);
  await createTopic(run, partitions);
  await produce(run, total, (i) => `${lines[i % lines.length]} seq=${i}`, { partitions });
}

describe('fault (b): Elasticsearch down for 60 s mid-run', () => {
  it('loses and duplicates nothing, resumes by itself, keeps memory flat', async () => {
    const TOTAL = 100_000;
    const run = uniqueName('fault-esdown');
    await seed(run, TOTAL, 4);
    const pipeline = writePipeline(dir, {
      id: run,
      topic: run,
      groupId: run,
      index: `${run}-%{+yyyy.MM.dd}`,
      filters: [{ mutate: { addField: { 'service.name': 'web' } } }],
    });

    const t0 = Date.now();
    const proc = runSluice([pipeline]);
    procs.push(proc);
    const rss = sampleRss(proc.child.pid!, 2000);
    await waitWithLogs([proc], '20,000 documents before stopping Elasticsearch', async () => (await es(`/${run}-*/_count`))?.count >= 20_000, 180_000, 200);
    const atStop = await esCount(`${run}-*`);
    await stack.stack.stopElasticsearch();
    const stoppedAt = Date.now();
    const rssIndexAtStop = rss.samples.length;
    console.log(`[es] Elasticsearch stopped ${elapsed(t0)} into the run with ${atStop} documents indexed`);
    await sleep(OUTAGE_MS);
    const outage = rss.samples.slice(rssIndexAtStop);
    await stack.stack.startElasticsearch();
    const upAt = Date.now();
    console.log(`[es] Elasticsearch back after ${elapsed(stoppedAt)} (healthy ${elapsed(upAt)} ago)`);
    await waitWithLogs([proc], 'the first new documents after the restart', async () => (await es(`/${run}-*/_count`))?.count > atStop, 180_000, 500);
    const firstAfter = Date.now();
    await waitWithLogs([proc], 'the group to catch up', async () => (await groupLag(run, run)) === 0, 300_000, 1000);
    const caughtUp = Date.now();
    const peak = procStats(proc.child.pid!);
    rss.stop();
    expect(await stopSluice(proc), proc.output().slice(-3000)).toBe(0);

    console.log(
      `[es] resumed by itself: first new documents ${((firstAfter - upAt) / 1000).toFixed(1)} s after Elasticsearch was healthy, ` +
        `all ${TOTAL} ${((caughtUp - upAt) / 1000).toFixed(1)} s after; whole run ${elapsed(t0)}`,
    );
    console.log(`[es] sluice peak RSS (VmHWM) ${mib(peak!.hwm)}, CPU ${peak!.cpuSeconds.toFixed(1)} s`);
    console.log(`[es] RSS over time (s: MiB), Elasticsearch down from ${Math.round((stoppedAt - t0) / 1000)} s to ${Math.round((upAt - t0) / 1000)} s:`);
    console.log(`     ${rss.samples.map((s) => `${s.t}:${Math.round(s.rss / 1048576)}`).join(' ')}`);

    // Nothing lost, nothing twice.
    expect(await esCount(`${run}-*`)).toBe(TOTAL);
    expect(diffIds(await expectedIds(run), await esIds(`${run}-*`)).counts).toEqual({ duplicated: 0, missing: 0, unexpected: 0 });
    // Nothing dead-lettered: connection errors are retried, not rejected.
    expect([...(await endOffsets(`${run}.dlq`)).values()].reduce((a, b) => a + b, 0)).toBe(0);
    // Backpressure: fetching paused at the in-flight limit, and the log says so.
    const logs = logLines(proc);
    expect(logs.some((l) => String(l.msg).startsWith('fetching paused: in-flight limits reached')), 'a "fetching paused" info log').toBe(true);
    expect(countLogs(proc, 'in-flight below limits; fetching resumed')).toBeGreaterThan(0);
    expect(countLogs(proc, 'bulk request failed; retrying')).toBeGreaterThan(0);
    // Flat memory while Elasticsearch is down: the second half of the outage grows the RSS by
    // less than 64 MiB over the first half's peak (nothing accumulates once paused).
    const half = Math.floor(outage.length / 2);
    const firstHalfPeak = Math.max(...outage.slice(0, half).map((s) => s.rss));
    const secondHalfPeak = Math.max(...outage.slice(half).map((s) => s.rss));
    console.log(`[es] RSS during the outage: first half peak ${mib(firstHalfPeak)}, second half peak ${mib(secondHalfPeak)}`);
    expect(secondHalfPeak - firstHalfPeak).toBeLessThan(64 * 1048576);
  }, 900_000);
});

const TINY_WRITE_QUEUE = { 'thread_pool.write.size': '1', 'thread_pool.write.queue_size': '2' };

describe('fault (b, shutdown): SIGTERM while Elasticsearch is down', () => {
  it('exits after --shutdown-timeout, commits only what was indexed, and a restart indexes the rest once', async () => {
    const TOTAL = 60_000;
    const run = uniqueName('fault-esdown-stop');
    await seed(run, TOTAL, 2);
    const pipeline = writePipeline(dir, { id: run, topic: run, groupId: run, index: `${run}-%{+yyyy.MM.dd}` });
    const first = runSluice([pipeline, '--shutdown-timeout', '5000']);
    procs.push(first);
    await waitWithLogs([first], '5,000 documents', async () => (await es(`/${run}-*/_count`))?.count >= 5000, 180_000, 200);
    await stack.stack.stopElasticsearch();
    await sleep(3000);
    const t = Date.now();
    first.child.kill('SIGTERM');
    const { code } = await first.exited;
    const took = Date.now() - t;
    console.log(`[es] SIGTERM with Elasticsearch down: exit ${code} after ${(took / 1000).toFixed(1)} s (--shutdown-timeout 5000)`);
    expect(code, first.output().slice(-3000)).toBe(0);
    expect(took).toBeLessThan(20_000);
    expect(countLogs(first, 'shutdown timeout: unsettled records stay uncommitted and will be re-read')).toBe(1);

    // Elasticsearch back (already with the small write queue of the next test): a new run
    // of the same group re-reads what was not indexed; every record ends up there once.
    await stack.stack.startElasticsearch(TINY_WRITE_QUEUE);
    const second = runSluice([pipeline]);
    procs.push(second);
    await waitWithLogs([second], 'the group to catch up', async () => (await groupLag(run, run)) === 0, 300_000, 1000);
    expect(await stopSluice(second), second.output().slice(-3000)).toBe(0);
    expect(await esCount(`${run}-*`)).toBe(TOTAL);
    expect(diffIds(await expectedIds(run), await esIds(`${run}-*`)).counts).toEqual({ duplicated: 0, missing: 0, unexpected: 0 });
  }, 900_000);
});

describe('fault (d): real 429s from a tiny write queue', () => {
  it('indexes everything in the end and dead-letters nothing', async () => {
    const TOTAL = 40_000;
    const run = uniqueName('fault-429');
    await stack.stack.startElasticsearch(TINY_WRITE_QUEUE);
    // Six shards: each bulk request becomes six shard-level write tasks, far more than one
    // thread and a queue of two can hold while four requests are in flight.
    await es(`/_index_template/${run}`, {
      method: 'PUT',
      body: { index_patterns: [`${run}-*`], template: { settings: { number_of_shards: 6, number_of_replicas: 0 } } },
    });
    await createTopic(run, 4);
    await produce(run, TOTAL, (i) => `${lines[i % lines.length]} seq=${i}`, { partitions: 4 });
    const pipeline = writePipeline(dir, {
      id: run,
      topic: run,
      groupId: run,
      index: `${run}-%{+yyyy.MM.dd}`,
      output: { batchMaxDocs: 250, concurrency: 4 },
    });
    const t0 = Date.now();
    const proc = runSluice([pipeline]);
    procs.push(proc);
    await waitWithLogs([proc], 'the group to catch up', async () => (await groupLag(run, run)) === 0, 600_000, 1000);
    expect(await stopSluice(proc), proc.output().slice(-3000)).toBe(0);

    const itemRetries = countLogs(proc, 'bulk items will be retried');
    const requestRetries = countLogs(proc, 'bulk request failed; retrying');
    const retried = logLines(proc)
      .filter((l) => l.msg === 'bulk items will be retried')
      .reduce((n, l) => n + (l.retrying ?? 0), 0);
    console.log(`[429] ${TOTAL} records in ${elapsed(t0)}: ${itemRetries} bulk responses with items to retry (${retried} documents), ${requestRetries} whole requests retried`);
    expect(itemRetries + requestRetries, 'the run must actually have seen 429s').toBeGreaterThan(0);

    expect(await esCount(`${run}-*`)).toBe(TOTAL);
    expect(diffIds(await expectedIds(run), await esIds(`${run}-*`)).counts).toEqual({ duplicated: 0, missing: 0, unexpected: 0 });
    expect([...(await endOffsets(`${run}.dlq`)).values()].reduce((a, b) => a + b, 0)).toBe(0);
    expect(countLogs(proc, 'record dead-lettered')).toBe(0);
  }, 900_000);
});
