/**
 * Faults with multiline joining (pipelines that join Java stack traces), on the real services:
 * - SIGKILL during a run full of stack traces, then restart: exactly the documents of the log
 *   lines (ids of their first records), each once, each with all its lines, and none for a
 *   continuation line;
 * - a rebalance mid-group (a second member joins, later leaves): the group's next owner
 *   re-reads it whole; never a document for part of a group;
 * - a group whose last lines come after the wait expired (Kafka's console producer): the
 *   group goes out as it was, the late lines become their own event tagged
 *   `_multiline_orphan`, and a re-read of the topic gives the very same documents.
 *
 * Shared stack (only sluice processes are killed).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { consoleProduce } from '../../scripts/stack/index.js';
import { es, esIds, groupLag, services, uniqueName } from '../helpers/services.js';
import { type Running } from '../helpers/sluice.js';
import { createTopicReady, deleteIndices, diffIds, indexTemplate, kafkaClient, logLines, produce, runSluice, saveLogs, stopSluice, writePipeline, waitWithLogs } from '../helpers/faults.js';
import { javaException } from '../helpers/java-logs.js';

const run = uniqueName('fault-ml');
const procs: Running[] = [];
const dir = mkdtempSync(join(tmpdir(), 'sluice-fault-ml-'));

/** The Flume prefix, then the multiline step, as in pipelines/flume-prefix.json. */
function pipeline(name: string, maxWaitMs: number, input: Record<string, unknown> = {}) {
  const id = `${run}-${name}`;
  return writePipeline(dir, {
    id,
    topic: id,
    groupId: id,
    index: `${id}-%{+yyyy.MM.dd}`,
    input,
    // The machine running the tests may be overloaded: a step interrupted by a spurious 250 ms
    // timeout goes on without that step, so its line would not find its stream (see
    // docs/pipelines.md). These tests are about crashes and rebalances, not time limits.
    limits: { filterTimeoutMs: 5000 },
    filters: [
      { grok: { field: 'message', patterns: ['^(?<[service][name]>[A-Za-z0-9_.-]+)##\\$\\$##(?<[host][name]>[^\\s#]+)\\s+%{GREEDYDATA:message}'], overwrite: ['message'] } },
      { multiline: { extraPatterns: ['^at '], maxWaitMs } },
    ],
  });
}

interface Doc {
  id: string;
  message: string;
  tags?: string[];
}

async function docs(index: string): Promise<Doc[]> {
  await es(`/${index}/_refresh`, { method: 'POST' });
  const out: Doc[] = [];
  let r = await es(`/${index}/_search?scroll=1m`, { method: 'POST', body: { size: 5000, _source: ['message', 'tags'], sort: ['_doc'] } });
  for (;;) {
    const hits = r?.hits?.hits ?? [];
    for (const h of hits) out.push({ id: h._id, message: h._source.message, tags: h._source.tags });
    if (hits.length === 0 || !r._scroll_id) break;
    r = await es('/_search/scroll', { method: 'POST', body: { scroll: '1m', scroll_id: r._scroll_id } });
  }
  return out;
}

const countDocs = async (index: string) => (await es(`/${index}/_count`))?.count ?? 0;
const alive = (p: Running) => p.child.exitCode === null && p.child.signalCode === null;

afterAll(async () => {
  if (process.env.SLUICE_FAULTS_LOG_LEVEL) console.log(`[multiline] logs in ${saveLogs(procs, 'fault-ml')}`);
  for (const p of procs) if (alive(p)) p.child.kill('SIGKILL');
  await deleteIndices(`${run}-*`);
  await es(`/_index_template/${run}`, { method: 'DELETE' }).catch(() => undefined);
});

describe('faults with multiline joining', () => {
  it('SIGKILL twice during a run full of stack traces: after the restart, exactly one whole document per log line', async () => {
    const PARTITIONS = 3;
    const HOSTS = 6; // two per partition, interleaved
    const topic = `${run}-kill`;
    await indexTemplate(run, `${run}-*`);
    await createTopicReady(topic, PARTITIONS);
    // Per host: log lines, a third of them followed by an exception of 3 to 40 lines.
    let seed = 42;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const perHost: { text: string; starts: boolean }[][] = Array.from({ length: HOSTS }, () => []);
    for (let h = 0; h < HOSTS; h++) {
      for (let n = 0; n < 400; n++) {
        perHost[h].push({ text: `2024-05-01 12:00:00,000 INFO [main] c.e.App - h${h} line ${n}`, starts: true });
        if (random() < 0.33) for (const text of javaException(12 + Math.floor(random() * 29), `c.e.h${h}`, `h${h}n${n}`)) perHost[h].push({ text, starts: false });
      }
    }
    // Merge the hosts' lines in random order, each host's own lines staying in order.
    const records: { host: number; text: string; starts: boolean }[] = [];
    const next = new Array<number>(HOSTS).fill(0);
    for (;;) {
      const open = next.map((n, h) => (n < perHost[h].length ? h : -1)).filter((h) => h >= 0);
      if (open.length === 0) break;
      const h = open[Math.floor(random() * open.length)];
      records.push({ host: h, ...perHost[h][next[h]++] });
    }
    // Expected: one document per log line, ided after its record, holding its exception's lines.
    const offsets = new Array<number>(PARTITIONS).fill(0);
    const expected = new Map<string, number>();
    const lastStart = new Array<string>(HOSTS);
    for (const r of records) {
      const p = r.host % PARTITIONS;
      const id = `${topic}-${p}-${offsets[p]++}`;
      if (r.starts) {
        expected.set(id, 1);
        lastStart[r.host] = id;
      } else expected.set(lastStart[r.host], expected.get(lastStart[r.host])! + 1);
    }
    // Record times 1 ms apart, whatever the producer's speed: an overloaded test machine that
    // stalls the producer for longer than the wait would otherwise cut a group by record time.
    const t0 = Date.now();
    const producer = kafkaClient('sluice-faults-ml').producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    for (let start = 0; start < records.length; start += 1000) {
      const slice = records.slice(start, start + 1000).map((r, k) => ({ partition: r.host % PARTITIONS, value: `svc##$$##h${r.host} ${r.text}`, timestamp: String(t0 + start + k) }));
      for (let p = 0; p < PARTITIONS; p++) await producer.send({ topic, acks: -1, messages: slice.filter((m) => m.partition === p) });
    }
    await producer.disconnect();
    console.log(`[multiline] ${records.length} records, ${expected.size} log lines`);

    const file = pipeline('kill', 6000, { sessionTimeoutMs: 10_000, heartbeatIntervalMs: 1000 });
    const index = `${run}-kill-*`;
    for (const fraction of [0.25, 0.6]) {
      const p = runSluice([file]);
      procs.push(p);
      const mark = Math.floor(fraction * expected.size);
      await waitWithLogs([p], `${mark} documents`, async () => (await countDocs(index)) >= mark, 50_000, 100);
      p.child.kill('SIGKILL');
      await p.exited;
    }
    const last = runSluice([file]);
    procs.push(last);
    await waitWithLogs([last], 'the group to commit everything', async () => (await groupLag(`${run}-kill`, topic)) === 0, 50_000, 500);
    expect(await stopSluice(last), last.output().slice(-3000)).toBe(0);

    const indexed = await docs(index);
    const diff = diffIds([...expected.keys()], indexed.map((d) => d.id));
    if (diff.counts.duplicated + diff.counts.missing + diff.counts.unexpected) console.error(`[multiline] ids differ: ${JSON.stringify(diff)}; unexpected documents: ${JSON.stringify(indexed.filter((d) => diff.unexpected.includes(d.id)))}; logs in ${saveLogs(procs, 'fault-ml-kill')}`);
    expect(diff.counts).toEqual({ duplicated: 0, missing: 0, unexpected: 0 });
    const wrong = indexed.filter((d) => d.message.split('\n').length !== expected.get(d.id) || (d.tags ?? []).some((t) => t.startsWith('_multiline')));
    expect(wrong.slice(0, 3), `${wrong.length} documents with the wrong lines`).toEqual([]);
  }, 180_000);

  it('a rebalance mid-group (a member joins, then leaves): the next owner re-reads the group whole, never a partial document', async () => {
    const topic = `${run}-rebalance`;
    const index = `${run}-rebalance-*`;
    await createTopicReady(topic, 2);
    // A wait far longer than a member takes to start and rebalance on a loaded machine: no group goes out by the wait here.
    const file = pipeline('rebalance', 60_000, { sessionTimeoutMs: 6000, heartbeatIntervalMs: 300 });
    // Per partition one host; round r: a line, then an ERROR line and the first half of its exception…
    const trace = (p: number, r: number) => javaException(20, `c.e.p${p}`, `p${p}r${r}`);
    const head = (p: number, r: number) => [`2024-05-01 12:00:00,000 INFO [main] c.e.App - p${p} round ${r} begins`, `2024-05-01 12:00:01,000 ERROR [main] c.e.App - p${p} round ${r} failed`, ...trace(p, r).slice(0, 10)];
    const tail = (p: number, r: number) => trace(p, r).slice(10);
    const send = (p: number, texts: string[]) => produce(topic, texts.length, (i) => `svc##$$##p${p} ${texts[i]}`, { partitionOf: () => p, concurrency: 1 });
    const begins = async (r: number) => (await docs(index)).filter((d) => d.message.endsWith(`round ${r} begins`)).length === 2;

    const a = runSluice([file]);
    procs.push(a);
    // Round 1: A owns both partitions and holds both groups open; B joins and takes one.
    for (const p of [0, 1]) await send(p, head(p, 1));
    await waitWithLogs([a], 'A to have read round 1 (the line before each group is indexed)', () => begins(1), 40_000, 250);
    const b = runSluice([file]);
    procs.push(b);
    const assigned = (x: Running) => logLines(x).filter((l) => l.msg === 'partitions assigned').at(-1)?.assignment?.[topic]?.length ?? 0;
    await waitWithLogs([a, b], 'B to own one partition', () => assigned(b) === 1 && assigned(a) === 1, 40_000, 200);
    expect(logLines(a).some((l) => l.msg.startsWith('open multiline groups of revoked partitions dropped')), 'A dropped the open group of the partition it lost').toBe(true);
    for (const p of [0, 1]) await send(p, [...tail(p, 1), ...head(p, 2)]);
    // Round 2: both hold a group open; B leaves (SIGTERM): its group stays uncommitted, A re-reads it.
    await waitWithLogs([a, b], 'round 2 read by both', () => begins(2), 40_000, 250);
    expect(await stopSluice(b), b.output().slice(-2000)).toBe(0);
    await waitWithLogs([a], 'A to own both partitions again', () => assigned(a) === 2, 40_000, 200);
    for (const p of [0, 1]) await send(p, [...tail(p, 2), '2024-05-01 12:00:09,000 INFO [main] c.e.App - the end']);
    await waitWithLogs([a], 'the round 2 groups', async () => (await countDocs(index)) === 8, 40_000, 250);
    // "the end" is an open group on each partition: shutdown leaves it uncommitted, for the next run to read whole.
    expect(await stopSluice(a), a.output().slice(-2000)).toBe(0);
    expect(await groupLag(`${run}-rebalance`, topic), 'only the last line of each partition left uncommitted').toBe(2);

    const indexed = await docs(index);
    const errors = indexed.filter((d) => /round \d failed/.test(d.message));
    if (errors.some((d) => d.message.split('\n').length !== 21) || indexed.length !== 8) {
      console.error(`[multiline] rebalance: ${JSON.stringify(indexed.map((d) => [d.id, d.message.split('\n').length, d.tags]))}; logs in ${saveLogs([a, b], 'fault-ml-rebalance')}`);
    }
    // Four groups (two rounds × two partitions), each whole, under the id of its ERROR line (offset 1 and 1+22+... ).
    expect(errors.map((d) => d.message.split('\n').length).sort()).toEqual([21, 21, 21, 21]);
    for (const p of [0, 1]) {
      expect(errors.filter((d) => d.id.startsWith(`${topic}-${p}-`)).map((d) => d.id).sort()).toEqual([`${topic}-${p}-1`, `${topic}-${p}-23`]);
    }
    // No other document than the 2 + 2 log lines per partition, and no continuation alone.
    expect(indexed).toHaveLength(2 * 4);
    expect(indexed.filter((d) => (d.tags ?? []).some((t) => t.startsWith('_multiline')))).toEqual([]);
  }, 180_000);

  it('lines after the wait expired become their own event tagged _multiline_orphan; a re-read gives the same documents (console producer)', async () => {
    const topic = `${run}-late`;
    const index = `${run}-late-*`;
    await createTopicReady(topic, 1);
    const file = pipeline('late', 1500);
    const { brokers } = services();
    const line = (text: string) => `svc##$$##h1 ${text}`;
    await consoleProduce(brokers, topic, [line('2024-05-01 12:00:01,000 ERROR [main] c.e.App - failed'), line('java.lang.IllegalStateException: boom'), line('\tat c.e.App.run(App.java:1)')]);
    const p = runSluice([file]);
    procs.push(p);
    await waitWithLogs([p], 'the group to go out after its wait', async () => (await countDocs(index)) === 1, 40_000, 250);
    await consoleProduce(brokers, topic, [line('\tat c.e.Main.main(Main.java:9)'), line('\t... 2 more'), line('2024-05-01 12:00:09,000 INFO [main] c.e.App - next')]);
    await waitWithLogs([p], 'the late lines and the next line', async () => (await countDocs(index)) === 3, 40_000, 250);
    expect(await stopSluice(p), p.output().slice(-2000)).toBe(0);
    const first = (await docs(index)).sort((x, y) => x.id.localeCompare(y.id));
    expect(first).toEqual([
      { id: `${topic}-0-0`, message: '2024-05-01 12:00:01,000 ERROR [main] c.e.App - failed\njava.lang.IllegalStateException: boom\nat c.e.App.run(App.java:1)', tags: ['multiline'] },
      { id: `${topic}-0-3`, message: 'at c.e.Main.main(Main.java:9)\n... 2 more', tags: ['multiline', '_multiline_orphan'] },
      { id: `${topic}-0-5`, message: '2024-05-01 12:00:09,000 INFO [main] c.e.App - next', tags: undefined },
    ]);

    // The whole topic again, at once, by a new consumer group into the same index: decided by
    // record times, the groups come out the same, so every document is overwritten by itself.
    const rereadFile = join(dir, 'late-reread.json');
    const def = JSON.parse(readFileSync(file, 'utf8'));
    def.id = `${run}-late2`;
    def.input.kafka.groupId = `${run}-late2`;
    writeFileSync(rereadFile, JSON.stringify(def));
    const reread = runSluice([rereadFile]);
    procs.push(reread);
    await waitWithLogs([reread], 'the re-read to commit everything', async () => (await groupLag(`${run}-late2`, topic)) === 0, 40_000, 250);
    expect(await stopSluice(reread), reread.output().slice(-2000)).toBe(0);
    expect((await docs(index)).sort((x, y) => x.id.localeCompare(y.id))).toEqual(first);
    expect(await esIds(index)).toHaveLength(3);
  }, 120_000);
});
