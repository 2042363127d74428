/**
 * A stop while the consumer waits to join its group: what a rolling update or a `docker stop`
 * during a rebalance does. A member is killed with SIGKILL (it stays in the group until its
 * session expires), a new one starts and sends its JoinGroup, which the coordinator holds
 * until the dead member's session expires; SIGTERM comes during that wait.
 *
 * kafkajs, left alone, fails the held JoinGroup on the closed connection ("write after end"),
 * treats that as a crash, restarts the consumer after `pipeline stopped`, and the process
 * never exits. The stop must instead be clean: exit 0 within the shutdown timeout, no
 * `pipeline started`/`running` after the stop, nothing logged at error level.
 *
 * Shared stack (nothing here disturbs Kafka or Elasticsearch).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTopic, es, kafkaClient, uniqueName, waitFor } from '../helpers/services.js';
import type { Running } from '../helpers/sluice.js';
import { deleteIndices, indexTemplate, logLines, produce, runSluice, stopSluice, waitWithLogs, writePipeline } from '../helpers/faults.js';
import { checkLogLines } from '../helpers/log-lines.js';

const run = uniqueName('stop-joining');
const SHUTDOWN_TIMEOUT_MS = 10_000;
let pipeline: string;
const procs: Running[] = [];

beforeAll(async () => {
  await indexTemplate(run, `${run}-*`);
  await createTopic(run, 2);
  await produce(run, 100, (i) => `line ${i}`, { partitions: 2 });
  pipeline = writePipeline(mkdtempSync(join(tmpdir(), 'sluice-stop-joining-')), {
    id: run,
    topic: run,
    groupId: run,
    index: `${run}-%{+yyyy.MM.dd}`,
    // The default session: the new member's join is held for up to 30 s, far longer than
    // the shutdown timeout.
    input: { sessionTimeoutMs: 30_000 },
  });
}, 120_000);

afterAll(async () => {
  for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
  await deleteIndices(`${run}-*`);
  await es(`/_index_template/${run}`, { method: 'DELETE' }).catch(() => undefined);
});

async function groupState(groupId: string): Promise<string> {
  const admin = kafkaClient().admin();
  await admin.connect();
  try {
    const { groups } = await admin.describeGroups([groupId]);
    return groups[0]?.state ?? 'Unknown';
  } finally {
    await admin.disconnect();
  }
}

/** SIGTERM now: exit 0 within the shutdown timeout, nothing started after the stop, nothing at error level. */
async function expectCleanStop(proc: Running): Promise<void> {
  const sigtermAt = Date.now();
  proc.child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const result = await Promise.race([proc.exited, new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), SHUTDOWN_TIMEOUT_MS + 5000)))]);
  clearTimeout(timer);
  const tookMs = Date.now() - sigtermAt;
  console.log(`[stop-while-joining] pid ${proc.child.pid} exited ${tookMs} ms after SIGTERM`);
  if (result === 'timeout') proc.child.kill('SIGKILL');
  const output = proc.output();
  expect(result, `sluice did not exit within ${SHUTDOWN_TIMEOUT_MS + 5000} ms of SIGTERM:\n${output.slice(-4000)}`).not.toBe('timeout');
  expect((result as { code: number | null }).code, output.slice(-4000)).toBe(0);
  expect(tookMs).toBeLessThan(SHUTDOWN_TIMEOUT_MS + 5000);

  const { lines } = checkLogLines(output);
  const stoppingAt = lines.findIndex((l) => l.msg?.startsWith('stopping'));
  expect(stoppingAt, output.slice(-4000)).toBeGreaterThanOrEqual(0);
  const after = lines.slice(stoppingAt).map((l) => l.msg);
  expect(after, 'nothing starts after the stop').not.toContain('pipeline started');
  expect(after).not.toContain('running');
  expect(after).not.toContain('partitions assigned');
  expect(lines.filter((l) => l.level >= 50), 'nothing at error level').toEqual([]);
}

/**
 * No member of a stopped process stays in the group: once the dead member's session expires,
 * the group is empty (a zombie member would hold partitions here).
 */
async function expectEmptyGroup(): Promise<void> {
  await waitFor('the group to be empty', async () => (await groupState(run)) === 'Empty', 60_000, 500);
}

describe('a stop while the group waits for a dead member', () => {
  it('while joining: exits 0 within the shutdown timeout, restarts nothing, logs nothing at error level', async () => {
    const env = { SLUICE_SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS) };
    const first = runSluice([pipeline], env);
    procs.push(first);
    await waitWithLogs([first], 'the first member to be assigned partitions', () => logLines(first).some((l) => l.msg === 'partitions assigned'), 120_000, 200);
    first.child.kill('SIGKILL');
    await first.exited;

    const second = runSluice([pipeline], env);
    procs.push(second);
    // The second member's JoinGroup has started a rebalance that waits for the dead member.
    await waitWithLogs([second], 'the group to wait for the dead member (PreparingRebalance)', async () => (await groupState(run)) === 'PreparingRebalance', 60_000, 100);
    await expectCleanStop(second);
    await expectEmptyGroup();
  }, 240_000);

  it('also while a running member rejoins in a rebalance that waits for a dead member', async () => {
    const env = { SLUICE_SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS) };
    // The group is empty again after the first case (its last check); both members join it.
    const running = runSluice([pipeline], env);
    const doomed = runSluice([pipeline], env);
    procs.push(running, doomed);
    const assignedCount = (p: Running) => logLines(p).filter((l) => l.msg === 'partitions assigned').map((l) => Object.values(l.assignment as Record<string, number[]>).flat().length).at(-1) ?? 0;
    await waitWithLogs([running, doomed], 'both members to hold a partition', () => assignedCount(running) === 1 && assignedCount(doomed) === 1, 120_000, 200);
    doomed.child.kill('SIGKILL');
    await doomed.exited;
    // A third member joins: the running one must rejoin, and the rebalance waits for the dead one.
    const newcomer = runSluice([pipeline], env);
    procs.push(newcomer);
    await waitWithLogs([running, newcomer], 'the rebalance to wait for the dead member (PreparingRebalance)', async () => (await groupState(run)) === 'PreparingRebalance', 60_000, 100);
    await expectCleanStop(running);
    await expectCleanStop(newcomer);
    await expectEmptyGroup();
  }, 240_000);
});
