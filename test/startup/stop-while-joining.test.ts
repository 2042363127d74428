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

describe('a stop while joining a group that still holds a dead member', () => {
  it('exits 0 within the shutdown timeout, restarts nothing, logs nothing at error level', async () => {
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
    const sigtermAt = Date.now();
    second.child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const result = await Promise.race([second.exited, new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), SHUTDOWN_TIMEOUT_MS + 5000)))]);
    clearTimeout(timer);
    const tookMs = Date.now() - sigtermAt;
    if (result === 'timeout') second.child.kill('SIGKILL');
    const output = second.output();
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

    // The group does not keep a member of the stopped process: once the dead one's session
    // expires, it is empty (a zombie member would hold partitions here).
    await waitFor('the group to be empty', async () => (await groupState(run)) === 'Empty', 60_000, 500);
  }, 240_000);
});
