/**
 * Quiet when healthy (issue 16): `npm run demo` and a rebalance of two replicas log nothing at
 * warn or above, and no line carries a key twice. Every line is parsed strictly
 * (test/helpers/log-lines.ts: JSON.parse alone would hide a duplicated key).
 *
 * Shared stack: `npm run demo` uses the running Kafka and Elasticsearch (KAFKA_BROKERS/ES_URL).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTopic, groupLag, services, uniqueName } from '../helpers/services.js';
import { ROOT, type Running } from '../helpers/sluice.js';
import { deleteIndices, logLines, produce, runSluice, stopSluice, waitWithLogs, writePipeline } from '../helpers/faults.js';
import { checkLogLines } from '../helpers/log-lines.js';

const run = uniqueName('quiet');
const procs: Running[] = [];

afterAll(async () => {
  for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
  await deleteIndices(`${run}*`);
  await deleteIndices('demo-web-access-*');
});

/** sluice's JSON lines of an output that also holds other text (the demo's own messages). */
function sluiceLines(output: string): string {
  return output
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .join('\n');
}

function expectQuiet(output: string, what: string): void {
  const check = checkLogLines(sluiceLines(output));
  expect(check.lines.length, `${what}: no log lines at all?\n${output.slice(-2000)}`).toBeGreaterThan(0);
  expect(check.warnOrAbove, `${what}: lines at warn or above`).toEqual([]);
  expect(check.duplicated, `${what}: lines with a duplicated key`).toEqual([]);
  expect(check.notJson, `${what}: lines that are not JSON`).toEqual([]);
}

describe('a healthy run logs nothing at warn or above and no key twice', () => {
  it('npm run demo', async () => {
    // Info level (the demo's default is warn, which would hide nothing worth checking).
    const child = spawn('npm', ['run', 'demo'], { cwd: ROOT, env: { ...process.env, SLUICE_LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code, output.slice(-3000)).toBe(0);
    expect(output).toMatch(/Indexed documents: (\d+) of \1 /);
    expectQuiet(output, 'npm run demo');
  }, 300_000);

  it('a rebalance of two replicas: one joins, both consume, one leaves', async () => {
    const lines = readFileSync(join(ROOT, 'samples', 'web-access.log'), 'utf8').split('\n').filter(Boolean);
    await createTopic(run, 4);
    const file = writePipeline(mkdtempSync(join(tmpdir(), 'sluice-quiet-')), {
      id: run,
      topic: run,
      groupId: run,
      index: `${run}-%{+yyyy.MM.dd}`,
      filters: JSON.parse(readFileSync(join(ROOT, 'pipelines', 'demo.json'), 'utf8')).filters,
      input: { sessionTimeoutMs: 10_000, heartbeatIntervalMs: 1000 },
      // Not about filter time limits: on a machine shared by many test processes the first
      // records of a fresh process (compiling the grok pattern, a cold JIT) can exceed the
      // default 250 ms, a real and logged dead letter that is not what this test looks at.
      limits: { filterTimeoutMs: 10_000 },
    });
    const env = { KAFKA_BROKERS: services().brokers.join(','), SLUICE_LOG_LEVEL: 'info' };
    const assigned = (p: Running) => logLines(p).filter((l) => l.msg === 'partitions assigned').map((l) => Object.values(l.assignment as Record<string, number[]>).flat().length);
    const a = runSluice([file], env);
    procs.push(a);
    await waitWithLogs([a], 'A to own every partition', () => assigned(a).at(-1) === 4, 120_000, 200);
    const b = runSluice([file], env);
    procs.push(b);
    await waitWithLogs([a, b], 'A and B to share the partitions', () => (assigned(b).at(-1) ?? 0) > 0 && assigned(a).at(-1)! < 4, 120_000, 200);
    await produce(run, 4000, (i) => lines[i % lines.length], { partitions: 4 });
    await waitWithLogs([a, b], 'A and B to catch up', async () => (await groupLag(run, run)) === 0, 120_000, 500);
    expect(await stopSluice(b)).toBe(0);
    await waitWithLogs([a], 'A to take every partition back', () => assigned(a).at(-1) === 4, 60_000, 200);
    await produce(run, 1000, (i) => lines[i % lines.length], { partitions: 4 });
    await waitWithLogs([a], 'A to catch up', async () => (await groupLag(run, run)) === 0, 120_000, 500);
    expect(await stopSluice(a)).toBe(0);
    expectQuiet(a.output(), 'replica A');
    expectQuiet(b.output(), 'replica B');
  }, 400_000);
});
