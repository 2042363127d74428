/**
 * One behaviour for what is not there at start (issue 16): a topic that does not exist yet,
 * Elasticsearch that cannot be reached. sluice stays up, /readyz says not ready and why, one
 * warning names the thing, the cause and the fix (with a `sluice doctor` hint), and the
 * pipeline starts by itself once the thing is there. A SIGTERM during the wait exits 0 at
 * once with nothing at error level. What waiting cannot fix (a TLS listener that is not one)
 * still exits 1 with one line.
 *
 * Shared stack (topics and indices of unique names; nothing is stopped).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTopic, esCount, services, uniqueName, waitFor } from '../helpers/services.js';
import type { Running } from '../helpers/sluice.js';
import { deleteIndices, runSluice, waitWithLogs, writePipeline } from '../helpers/faults.js';
import { freePort } from '../helpers/extra-broker.js';
import { checkLogLines } from '../helpers/log-lines.js';
import { consoleProduce } from '../../scripts/stack/kafka.js';
import { httpBase, readyz, sigterm, warnings } from './helpers.js';

const run = uniqueName('startup-wait');
const dir = mkdtempSync(join(tmpdir(), 'sluice-startup-wait-'));
const procs: Running[] = [];

afterAll(async () => {
  for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
  await deleteIndices(`${run}-*`);
});

function start(file: string): Running {
  const p = runSluice([file]);
  procs.push(p);
  return p;
}

describe('a pipeline started before its topic exists', () => {
  it('names the topic once, stays not ready, and indexes what is produced once the topic exists, without a restart', async () => {
    const topic = `${run}-late`;
    const file = writePipeline(dir, { id: `${run}-late`, topic, groupId: `${run}-late`, index: `${run}-late` });
    const p = start(file);
    const base = await httpBase(p);
    await waitWithLogs([p], 'the warning about the missing topic', () => warnings(p).warn.some((l) => l.msg.includes(`"${topic}"`)), 60_000, 200);
    const warning = warnings(p).warn.find((l) => l.msg.includes(`"${topic}"`))!;
    expect(warning.msg).toContain('does not exist');
    expect(warning.msg).toContain('consumers never create topics');
    expect(warning.msg).toContain(`sluice doctor`);
    const ready = await readyz(base);
    expect(ready.status).toBe(503);
    expect(ready.body.pipelines[`${run}-late`].reasons.join(' ')).toContain(`"${topic}"`);

    await createTopic(topic, 2);
    const lines = Array.from({ length: 50 }, (_, i) => `late line ${i}`);
    await consoleProduce(services().brokers, topic, lines);
    await waitWithLogs([p], 'the 50 records to be indexed', async () => (await esCount(`${run}-late`)) === 50, 120_000, 500);
    await waitFor('/readyz 200', async () => (await readyz(base)).status === 200, 60_000, 200);

    const { code, ms } = await sigterm(p, 40_000);
    expect(code, p.output().slice(-3000)).toBe(0);
    expect(ms).toBeLessThan(40_000);
    const { warn, errors } = warnings(p);
    // One warning while it waited (the next repeat would come after a minute).
    expect(warn.map((l) => l.msg)).toEqual([warning.msg]);
    expect(errors).toEqual([]);
    expect(checkLogLines(p.output()).duplicated).toEqual([]);
  }, 240_000);

  it('topicPattern: waits for a first matching topic, and picks up a matching topic created later', async () => {
    const prefix = `${run}-pat`;
    const file = writePipeline(dir, { id: prefix, topic: 'unused', groupId: prefix, index: `${prefix}-all`, input: { topics: undefined, topicPattern: `^${prefix}-.*`, topicRefreshMs: 2000 } });
    const p = start(file);
    await waitWithLogs([p], 'the warning about no matching topic', () => warnings(p).warn.some((l) => l.msg.includes('topicPattern')), 60_000, 200);
    await createTopic(`${prefix}-a`, 1);
    await consoleProduce(services().brokers, `${prefix}-a`, ['a1', 'a2', 'a3']);
    await waitWithLogs([p], 'topic a to be indexed', async () => (await esCount(`${prefix}-*`)) === 3, 120_000, 500);
    await createTopic(`${prefix}-b`, 1);
    await consoleProduce(services().brokers, `${prefix}-b`, ['b1', 'b2']);
    await waitWithLogs([p], 'topic b, created later, to be indexed', async () => (await esCount(`${prefix}-*`)) === 5, 120_000, 500);
    expect(checkLogLines(p.output()).lines.some((l) => l.msg === 'new topics match topicPattern; rejoining the group to consume them')).toBe(true);
    const { code } = await sigterm(p, 40_000);
    expect(code, p.output().slice(-3000)).toBe(0);
    expect(warnings(p).errors).toEqual([]);
  }, 240_000);
});

describe('Elasticsearch that cannot be reached', () => {
  it('is named in one warning with the fix, /readyz says why, and a SIGTERM during the wait exits 0 at once with nothing at error level', async () => {
    const topic = `${run}-noes`;
    await createTopic(topic, 1);
    const port = await freePort();
    const file = writePipeline(dir, { id: topic, topic, groupId: topic, index: topic, output: { nodes: [`http://127.0.0.1:${port}`] } });
    const p = start(file);
    const base = await httpBase(p);
    await waitWithLogs([p], 'the warning about Elasticsearch', () => warnings(p).warn.some((l) => l.msg.includes(`Elasticsearch http://127.0.0.1:${port}`)), 60_000, 200);
    const ready = await readyz(base);
    expect(ready.status).toBe(503);
    expect(ready.body.pipelines[topic].reasons.join(' ')).toContain(`http://127.0.0.1:${port}`);
    const { code, ms } = await sigterm(p, 10_000);
    expect(code, p.output().slice(-3000)).toBe(0);
    expect(ms).toBeLessThan(10_000);
    const { warn, errors } = warnings(p);
    expect(errors).toEqual([]);
    expect(warn).toHaveLength(1);
    expect(warn[0].msg).toMatch(/start Elasticsearch, or correct output\.elasticsearch\.nodes.*sluice doctor/);
    expect(checkLogLines(p.output()).lines.map((l) => l.msg)).not.toContain('pipeline started');
  }, 120_000);
});

describe('Kafka brokers that cannot be reached', () => {
  it('are named in one warning, and a SIGTERM during the wait exits 0 at once with nothing at error level', async () => {
    const port = await freePort();
    const file = writePipeline(dir, { id: `${run}-nokafka`, topic: `${run}-nokafka`, groupId: `${run}-nokafka`, index: `${run}-nokafka` });
    const p = runSluice([file], { KAFKA_BROKERS: `127.0.0.1:${port}` });
    procs.push(p);
    const base = await httpBase(p);
    await waitWithLogs([p], 'the warning naming the brokers', () => warnings(p).warn.some((l) => l.msg.includes(`Kafka brokers 127.0.0.1:${port}: not reachable`)), 60_000, 200);
    expect((await readyz(base)).status).toBe(503);
    const { code, ms } = await sigterm(p, 10_000);
    expect(code, p.output().slice(-3000)).toBe(0);
    expect(ms).toBeLessThan(10_000);
    expect(warnings(p).errors).toEqual([]);
    expect(warnings(p).warn).toHaveLength(1);
  }, 120_000);
});

describe('what waiting cannot fix', () => {
  it('a TLS setting against a plaintext listener exits 1 with one line', async () => {
    const topic = `${run}-tls`;
    const file = writePipeline(dir, { id: topic, topic, groupId: topic, index: topic, input: { tls: {} } });
    const p = start(file);
    const { code } = await p.exited;
    expect(code).toBe(1);
    const { errors } = warnings(p);
    expect(errors).toHaveLength(1);
    expect(JSON.stringify(errors[0])).toMatch(/does not speak TLS/);
  }, 120_000);
});
