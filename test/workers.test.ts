/**
 * `sluice run --workers N` on the real stack: N worker processes in each pipeline's consumer
 * group under one supervisor. A worker killed with SIGKILL mid-run is restarted and nothing
 * is lost or doubled; the supervisor's /readyz and /metrics cover every worker; SIGTERM
 * stops them all gracefully (exit 0).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTopic, esCount, esIds, expectedIds, groupLag, services, uniqueName } from './helpers/services.js';
import { ROOT, runSluice as runSluiceSync, type Running } from './helpers/sluice.js';
import { deleteIndices, diffIds, indexTemplate, logLines, produce, runSluice, stopSluice, waitWithLogs, writePipeline } from './helpers/faults.js';

const PARTITIONS = 4;
const HALF = 20_000;
const run = uniqueName('workers');
const topic = run;
const groupId = `${run}-group`;
const lines = readFileSync(join(ROOT, 'samples', 'web-access.log'), 'utf8').split('\n').filter(Boolean);
let dir: string;
let pipeline: string;
let proc: Running | undefined;

beforeAll(async () => {
  await indexTemplate(run, `${run}-*`);
  await createTopic(topic, PARTITIONS);
  dir = mkdtempSync(join(tmpdir(), 'sluice-workers-'));
  pipeline = writePipeline(dir, {
    id: run,
    topic,
    groupId,
    index: `${run}-%{+yyyy.MM.dd}`,
    filters: [{ mutate: { addField: { 'service.name': 'web' } } }],
    // The killed worker holds up the next rebalance until its session expires.
    input: { sessionTimeoutMs: 10_000, heartbeatIntervalMs: 1000 },
    output: { batchMaxDocs: 1000 },
  });
}, 120_000);

afterAll(async () => {
  if (proc && proc.child.exitCode === null && proc.child.signalCode === null) proc.child.kill('SIGKILL');
  for (const l of proc ? workerStarts(proc) : []) {
    try {
      process.kill(l.pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
  await deleteIndices(`${run}-*`);
});

const workerStarts = (p: Running) => logLines(p).filter((l) => l.msg === 'worker started');

async function get(base: string, path: string): Promise<{ status: number; body: string }> {
  const res = await fetch(`${base}${path}`);
  return { status: res.status, body: await res.text() };
}

/** The value of one series in Prometheus text, e.g. `sluice_assigned_partitions{pipeline="x"}`. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('run --workers', () => {
  it('refuses a bad worker count and validates the pipelines before forking', () => {
    const bad = runSluiceSync(['run', '--workers', '0', pipeline]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/--workers must be a whole number from 1 to 256/);
    const broken = join(dir, 'broken.json');
    writeFileSync(broken, '{"id": "broken", "input": {}}');
    const r = runSluiceSync(['run', '--workers', '2', broken]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/broken\.json:\d+:\d+/);
    expect(r.stdout).not.toMatch(/worker started/);
  });

  it('exits 1 when a worker fails to start, with the worker\'s exit code', async () => {
    // https to a plain-http Elasticsearch: the pipeline's start fails at once in each worker.
    const p = runSluice(['--workers', '2', pipeline], { ES_URL: services().esUrl.replace(/^http:/, 'https:') });
    const { code } = await p.exited;
    expect(code, p.output().slice(-3000)).toBe(1);
    expect(logLines(p).some((l) => /^worker \d failed to start \(exit code 1\)/.test(String(l.msg)))).toBe(true);
  });

  it('runs 2 workers in one group, restarts a SIGKILLed one, indexes every record once, and stops gracefully', async () => {
    await produce(topic, HALF, (i) => `${lines[i % lines.length]} seq=${i}`, { partitions: PARTITIONS, idempotent: true });
    proc = runSluice(['--workers', '2', pipeline]);
    const p = proc;
    await waitWithLogs([p], 'both workers running and the listener up', () => /all workers running/.test(p.output()) && /http listening on/.test(p.output()), 120_000);
    const [, address, port] = /http listening on ([\d.]+):(\d+)/.exec(p.output())!;
    const base = `http://${address}:${port}`;
    const pids = workerStarts(p).map((l) => l.pid as number);
    expect(pids).toHaveLength(2);
    expect(new Set(pids).size).toBe(2);

    // Both workers are members: together they hold all partitions, each some.
    await waitWithLogs([p], 'the supervisor to report all partitions assigned and ready', async () => {
      const m = await get(base, '/metrics');
      const ready = await get(base, '/readyz');
      return sample(m.body, `sluice_assigned_partitions{pipeline="${run}"}`) === PARTITIONS && ready.status === 200;
    }, 120_000);
    const readyz = JSON.parse((await get(base, '/readyz')).body);
    expect(readyz.workers).toHaveLength(2);
    for (const w of readyz.workers) expect(w.pipelines[run].kafka.assignedPartitions).toBeGreaterThan(0);
    expect(sample((await get(base, '/metrics')).body, 'sluice_workers_running')).toBe(2);
    expect((await get(base, '/healthz')).status).toBe(200);

    // Kill worker 0 mid-run: the supervisor starts a new one in its slot.
    await waitWithLogs([p], 'some documents', async () => (await esCount(`${run}-*`)) >= 2000, 120_000, 200);
    process.kill(pids[0], 'SIGKILL');
    await waitWithLogs([p], 'the killed worker to be restarted', () => workerStarts(p).length === 3, 60_000);
    const restarted = workerStarts(p)[2];
    expect(restarted.worker).toBe(0);
    expect(logLines(p).some((l) => l.msg?.startsWith('worker exited unexpectedly') && l.pid === pids[0] && l.signal === 'SIGKILL')).toBe(true);

    await produce(topic, HALF, (i) => `${lines[(HALF + i) % lines.length]} seq=${HALF + i}`, { partitions: PARTITIONS, idempotent: true });
    await waitWithLogs([p], 'the group to catch up', async () => (await groupLag(groupId, topic)) === 0, 240_000, 1000);
    await waitWithLogs([p], 'both workers ready again', async () => (await get(base, '/readyz')).status === 200, 120_000);
    const metrics = (await get(base, '/metrics')).body;
    expect(sample(metrics, 'sluice_worker_restarts_total')).toBe(1);
    expect(sample(metrics, `sluice_ready{pipeline="${run}"}`)).toBe(1);

    expect(await stopSluice(p), p.output().slice(-3000)).toBe(0);
    const stopped = logLines(p).filter((l) => l.msg === 'worker stopped');
    expect(stopped.map((l) => l.code)).toEqual([0, 0]);

    const expected = await expectedIds(topic);
    expect(expected).toHaveLength(2 * HALF);
    expect(await esCount(`${run}-*`)).toBe(2 * HALF);
    expect(diffIds(expected, await esIds(`${run}-*`)).counts).toEqual({ duplicated: 0, missing: 0, unexpected: 0 });
  }, 600_000);
});
