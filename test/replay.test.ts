/**
 * `sluice replay` on real Kafka and Elasticsearch, with the real CLI.
 *
 * The round trip: records that Elasticsearch rejects because of a mapping conflict (`user`
 * is an object in the index mapping, a string in some records) are dead-lettered with
 * es_rejected; Kafka's own console consumer shows them in the dead-letter topic with their
 * original value and every sluice.dlq.* header. The cause is fixed (the pipeline renames the
 * string field), `replay --dry-run` summarises without changing anything, `replay` puts the
 * rejected records back and every record ends up indexed exactly once, under the id of the
 * original record. Replaying again, with the same --group (nothing left) or without one
 * (everything re-produced), adds no document.
 *
 * Selection and bookkeeping on crafted dead letters: --reason/--stage/--source-topic/--since/
 * --until/--limit, resuming with --group, --max-attempts and --force, --to, headers and
 * timestamps of the re-produced records, exit codes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IHeaders } from 'kafkajs';
import { consoleConsume } from '../scripts/stack/index.js';
import { createTopic, endOffsets, es, esCount, esIds, groupLag, kafkaClient, services, uniqueName, waitFor } from './helpers/services.js';
import { runSluice, startSluice, type Running } from './helpers/sluice.js';

const run = uniqueName('replay');
const running: Running[] = [];
let dir: string;
let env: Record<string, string>;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'sluice-replay-'));
  env = { KAFKA_BROKERS: services().brokers.join(','), ES_URL: services().esUrl };
});

afterAll(() => {
  for (const p of running) if (p.child.exitCode === null) p.child.kill('SIGKILL');
});

async function total(topic: string): Promise<number> {
  let n = 0;
  for (const end of (await endOffsets(topic)).values()) n += end;
  return n;
}

function replay(args: string[]) {
  return runSluice(['replay', ...args], { env });
}

/** `sluice run` until the group has read everything in `topic`, then a graceful stop. */
async function runUntilCaughtUp(file: string, groupId: string, topic: string): Promise<string> {
  const proc = startSluice(['run', file, '--http-port', '0'], env);
  running.push(proc);
  await waitFor(`sluice run to catch up on ${topic}`, async () => (await groupLag(groupId, topic)) === 0, 120_000, 300);
  proc.child.kill('SIGTERM');
  const { code } = await proc.exited;
  expect(code, proc.output().slice(-3000)).toBe(0);
  return proc.output();
}

describe('replay round trip: mapping conflict, fix, replay, replay again', () => {
  const topic = `${run}-src`;
  const index = `${run}-logs`;
  const id = `${run}-p`;
  const dlq = `${id}.dlq`;
  const groupId = `${run}-group`;
  const perPartition = 27;
  type Kind = 'object' | 'string' | 'broken';
  const kindOf = (i: number): Kind => (i % 9 === 4 ? 'broken' : i % 3 === 1 ? 'string' : 'object');
  const records: { partition: number; offset: number; kind: Kind; key: string; value: string; trace: string }[] = [];
  for (let partition = 0; partition < 2; partition++) {
    for (let i = 0; i < perPartition; i++) {
      const n = partition * 100 + i;
      const kind = kindOf(i);
      const value = kind === 'broken' ? `{"seq": ${n}, "user": ` : kind === 'string' ? JSON.stringify({ seq: n, user: `alice${n}` }) : JSON.stringify({ seq: n, user: { name: `u${n}` } });
      records.push({ partition, offset: i, kind, key: `key-${n}`, value, trace: `t-${n}` });
    }
  }
  const rejected = records.filter((r) => r.kind === 'string');
  const broken = records.filter((r) => r.kind === 'broken');
  const indexable = records.filter((r) => r.kind !== 'broken');
  const expectedIds = indexable.map((r) => `${topic}-${r.partition}-${r.offset}`).sort();

  const pipeline = (file: string, filters: unknown[]) => {
    const path = join(dir, file);
    writeFileSync(
      path,
      JSON.stringify({
        id,
        input: { kafka: { brokers: ['${KAFKA_BROKERS}'], topics: [topic], groupId, codec: 'json' } },
        filters,
        output: { elasticsearch: { nodes: ['${ES_URL}'], index, batchMaxDocs: 20, batchMaxWaitMs: 50 } },
      }),
    );
    return path;
  };
  let v1: string;
  let v2: string;

  beforeAll(async () => {
    // The index maps `user` as an object: the string-valued records are real mapping rejections.
    await es(`/${index}`, { method: 'PUT', body: { settings: { number_of_replicas: 0 }, mappings: { properties: { user: { properties: { name: { type: 'keyword' } } } } } } });
    await createTopic(topic, 2);
    const producer = kafkaClient().producer();
    await producer.connect();
    for (let partition = 0; partition < 2; partition++) {
      await producer.send({
        topic,
        acks: -1,
        messages: records.filter((r) => r.partition === partition).map((r) => ({ partition, key: r.key, value: r.value, headers: { 'trace-id': r.trace } })),
      });
    }
    await producer.disconnect();
    v1 = pipeline('v1.json', [{ mutate: { addField: { stage: 'v1' } } }]);
    // The fix: a string `user` becomes `user_name`, which does not collide with the object mapping.
    v2 = pipeline('v2.json', [{ mutate: { rename: { user: 'user_name' } }, when: 'not exists(user.name)' }]);
  }, 120_000);

  it('dead-letters the mapping rejections (es_rejected) and the undecodable records (decode_failed)', async () => {
    await runUntilCaughtUp(v1, groupId, topic);
    expect(await esCount(index)).toBe(indexable.length - rejected.length);
    expect(await total(dlq)).toBe(rejected.length + broken.length);
  });

  it('keeps the original value and adds every sluice.dlq.* header (read with Kafka\'s console consumer)', async () => {
    const { lines, code, stderr } = await consoleConsume(services().brokers, dlq, { printHeaders: true, printKey: true, maxMessages: rejected.length + broken.length, timeoutMs: 20_000 });
    expect(code, stderr).toBe(0);
    expect(lines).toHaveLength(rejected.length + broken.length);
    const byValue = new Map(records.map((r) => [r.value, r]));
    const seen = new Set<string>();
    for (const line of lines) {
      // headers <TAB> key <TAB> value; the value is the exact original record
      const parts = line.split('\t');
      const value = parts[parts.length - 1];
      const key = parts[parts.length - 2];
      const headers = parts.slice(0, -2).join('\t');
      const original = byValue.get(value);
      expect(original, `DLQ value ${value} is not an original record`).toBeDefined();
      seen.add(value);
      expect(key).toBe(original!.key);
      const expectHeader = (name: string, v?: string | RegExp) => {
        const m = new RegExp(`(?:^|,)${name.replace(/\./g, '\\.')}:([^,]*)`).exec(headers);
        expect(m, `header ${name} missing in ${headers}`).not.toBeNull();
        if (typeof v === 'string') expect(m![1]).toBe(v);
        else if (v) expect(m![1]).toMatch(v);
      };
      expectHeader('trace-id', original!.trace);
      expectHeader('sluice.dlq.error', /\S/);
      expectHeader('sluice.dlq.pipeline', id);
      expectHeader('sluice.dlq.source.topic', topic);
      expectHeader('sluice.dlq.source.partition', String(original!.partition));
      expectHeader('sluice.dlq.source.offset', String(original!.offset));
      expectHeader('sluice.dlq.source.timestamp', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      expectHeader('sluice.dlq.failed_at', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      expectHeader('sluice.dlq.attempt', '1');
      if (original!.kind === 'string') {
        expectHeader('sluice.dlq.reason', 'es_rejected');
        expectHeader('sluice.dlq.stage', 'output');
        expectHeader('sluice.dlq.es.status', '400');
        expectHeader('sluice.dlq.es.type', /^(mapper|document)_parsing_exception$/);
        expectHeader('sluice.dlq.es.index', index);
      } else {
        expect(original!.kind).toBe('broken');
        expectHeader('sluice.dlq.reason', 'decode_failed');
        expectHeader('sluice.dlq.stage', 'input');
      }
    }
    expect(seen.size).toBe(rejected.length + broken.length);
  });

  it('--dry-run summarises by reason, stage and source topic and changes nothing', async () => {
    const before = await total(topic);
    const r = replay([v2, '--dry-run', '--group', `${run}-dry`]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^REASON\\s+COUNT\\s+SAMPLE ERROR$`, 'm'));
    expect(r.stdout).toMatch(new RegExp(`^es_rejected\\s+${rejected.length}\\s+(mapper|document)_parsing_exception`, 'm'));
    expect(r.stdout).toMatch(new RegExp(`^decode_failed\\s+${broken.length}\\s+\\S`, 'm'));
    expect(r.stdout).toMatch(new RegExp(`^output\\s+${rejected.length}\\s`, 'm'));
    expect(r.stdout).toMatch(new RegExp(`^input\\s+${broken.length}\\s`, 'm'));
    expect(r.stdout).toMatch(new RegExp(`^${topic}\\s+${rejected.length + broken.length}\\s`, 'm'));
    expect(r.stdout).toContain('dry run: nothing was produced and no progress was committed');
    const only = replay([v2, '--dry-run', '--reason', 'es_rejected']);
    expect(only.code, only.stderr).toBe(0);
    expect(only.stdout).toMatch(new RegExp(`selected\\s+${rejected.length}\\b`));
    expect(only.stdout).toMatch(new RegExp(`not matching\\s+${broken.length}\\b`));
    // Nothing produced, nothing committed.
    expect(await total(topic)).toBe(before);
    expect(await groupLag(`${run}-dry`, dlq)).toBe(rejected.length + broken.length);
  });

  it('replays the rejected records once the cause is fixed: every record indexed exactly once', async () => {
    const before = await total(topic);
    const r = replay([v2, '--reason', 'es_rejected', '--group', `${run}-replay`]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`replayed\\s+${rejected.length} \\(${rejected.length} to ${topic}\\)`));
    // Plain progress lines when stderr is not a terminal.
    expect(r.stderr).toMatch(/replaying: \d+\/\d+ read \(\d+%\), \d+ selected, \d+ replayed, \d+ rec\/s, ETA/);
    expect(await total(topic)).toBe(before + rejected.length);

    await runUntilCaughtUp(v2, groupId, topic);
    expect(await esCount(index)).toBe(indexable.length);
    // The replayed records carry the ids of the originals: one document per original record.
    expect((await esIds(index)).sort()).toEqual(expectedIds);
    const fixed = await es(`/${index}/_search`, { method: 'POST', body: { size: 100, query: { exists: { field: 'user_name' } } } });
    expect(fixed.hits.total.value).toBe(rejected.length);
    for (const h of fixed.hits.hits) {
      const original = rejected.find((o) => h._id === `${topic}-${o.partition}-${o.offset}`)!;
      expect(h._source.user_name).toBe(JSON.parse(original.value).user);
    }
    // Nothing failed again.
    expect(await total(dlq)).toBe(rejected.length + broken.length);
  });

  it('running the same replay again adds no documents (same group: nothing left; no group: ids overwrite)', async () => {
    const before = await total(topic);
    const again = replay([v2, '--reason', 'es_rejected', '--group', `${run}-replay`]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain(`nothing left: group ${run}-replay has already read ${dlq} to its end`);
    expect(await total(topic)).toBe(before);

    const fresh = replay([v2, '--reason', 'es_rejected']);
    expect(fresh.code, fresh.stderr).toBe(0);
    expect(await total(topic)).toBe(before + rejected.length);
    await runUntilCaughtUp(v2, groupId, topic);
    expect(await esCount(index)).toBe(indexable.length);
    expect((await esIds(index)).sort()).toEqual(expectedIds);
  });
});

describe('replay selection, resuming, attempts and headers (crafted dead letters)', () => {
  const id = `${run}-sel`;
  const dlq = `${id}.dlq`;
  const srcA = `${run}-a`;
  const srcB = `${run}-b`;
  const target = `${run}-target`;
  let file: string;
  const letters: { key: string; value: string; headers: Record<string, string> }[] = [];
  const letter = (n: number, reason: string, stage: string, source: string, failedAt: string, attempt: number) => {
    letters.push({
      key: `k${n}`,
      value: `line ${n}`,
      headers: {
        'x-origin': `o${n}`,
        'sluice.dlq.reason': reason,
        'sluice.dlq.error': `error ${n}`,
        'sluice.dlq.stage': stage,
        'sluice.dlq.pipeline': id,
        'sluice.dlq.source.topic': source,
        'sluice.dlq.source.partition': '0',
        'sluice.dlq.source.offset': String(1000 + n),
        'sluice.dlq.source.timestamp': new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString(),
        'sluice.dlq.failed_at': failedAt,
        'sluice.dlq.attempt': String(attempt),
      },
    });
  };

  beforeAll(async () => {
    // 0-3: filter_error from A in filter:grok, failed on May 1st, attempts 1, 2, 3, 1
    letter(0, 'filter_error', 'filter:parse', srcA, '2026-05-01T10:00:00.000Z', 1);
    letter(1, 'filter_error', 'filter:parse', srcA, '2026-05-01T11:00:00.000Z', 2);
    letter(2, 'filter_error', 'filter:parse', srcA, '2026-05-01T12:00:00.000Z', 3);
    letter(3, 'filter_error', 'filter:1:date', srcA, '2026-05-01T13:00:00.000Z', 1);
    // 4-5: es_rejected from B, May 2nd
    letter(4, 'es_rejected', 'output', srcB, '2026-05-02T10:00:00.000Z', 1);
    letter(5, 'es_rejected', 'output', srcB, '2026-05-02T11:00:00.000Z', 1);
    // 6: decode_failed from A, May 3rd
    letter(6, 'decode_failed', 'input', srcA, '2026-05-03T10:00:00.000Z', 1);
    await createTopic(dlq, 1);
    await createTopic(target, 1);
    const producer = kafkaClient().producer();
    await producer.connect();
    await producer.send({ topic: dlq, acks: -1, messages: letters });
    await producer.disconnect();
    file = join(dir, 'sel.json');
    writeFileSync(
      file,
      JSON.stringify({
        id,
        input: { kafka: { brokers: ['${KAFKA_BROKERS}'], topics: [srcA], groupId: `${id}-g` } },
        output: { elasticsearch: { nodes: ['${ES_URL}'], index: `${id}-x` } },
      }),
    );
  });

  it('filters by reason, stage (prefix), source topic and failure time', () => {
    const selected = (args: string[]) => {
      const r = replay([file, '--dry-run', '--force', ...args]);
      expect(r.code, r.stderr).toBe(0);
      return Number(/selected\s+(\d+)/.exec(r.stdout)![1]);
    };
    expect(selected([])).toBe(7);
    expect(selected(['--reason', 'filter_error'])).toBe(4);
    expect(selected(['--reason', 'es_rejected,decode_failed'])).toBe(3);
    expect(selected(['--stage', 'filter'])).toBe(4);
    expect(selected(['--stage', 'filter:parse'])).toBe(3);
    expect(selected(['--stage', 'input,output'])).toBe(3);
    expect(selected(['--source-topic', srcB])).toBe(2);
    expect(selected(['--since', '2026-05-01T11:00:00Z', '--until', '2026-05-02T10:30:00Z'])).toBe(4);
    expect(selected(['--since', '2026-05-03T00:00:00Z'])).toBe(1);
    expect(selected(['--limit', '2'])).toBe(2);
  });

  it('rejects invalid options with exit 2', () => {
    for (const args of [['--since', 'yesterday'], ['--limit', '0'], ['--max-attempts', 'x'], ['--since', '2026-05-02T00:00:00Z', '--until', '2026-05-01T00:00:00Z']]) {
      const r = replay([file, ...args]);
      expect(r.code, `${args.join(' ')}: ${r.stdout}${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(/--(since|until|limit|max-attempts)/);
    }
  });

  it('resumes with --group, skips records at --max-attempts (exit 3), and keeps key, value, timestamp, headers and attempt', async () => {
    const group = `${run}-sel-g`;
    const first = replay([file, '--reason', 'filter_error', '--to', target, '--group', group, '--limit', '2']);
    expect(first.code, first.stdout + first.stderr).toBe(0);
    expect(first.stdout).toMatch(/replayed\s+2 \(2 to /);
    expect(await total(target)).toBe(2);

    // Resumes after the second record: 1 more filter_error below max attempts, 1 skipped at attempt 3.
    const second = replay([file, '--reason', 'filter_error', '--to', target, '--group', group]);
    expect(second.code, second.stdout + second.stderr).toBe(3);
    expect(second.stdout).toContain('(resuming)');
    expect(second.stdout).toMatch(/replayed\s+1 \(1 to /);
    expect(second.stdout).toMatch(/skipped\s+1 at --max-attempts 3 \(add --force/);
    expect(await total(target)).toBe(3);

    const third = replay([file, '--reason', 'filter_error', '--to', target, '--group', group]);
    expect(third.code).toBe(0);
    expect(third.stdout).toContain('nothing left');

    // --force takes the record at attempt 3 too (a new group reads from the start).
    const forced = replay([file, '--reason', 'filter_error', '--stage', 'filter:parse', '--since', '2026-05-01T12:00:00Z', '--until', '2026-05-01T12:00:01Z', '--to', target, '--force']);
    expect(forced.code, forced.stdout + forced.stderr).toBe(0);
    expect(await total(target)).toBe(4);

    const consumer = kafkaClient().consumer({ groupId: `${run}-check-${Date.now()}` });
    const got: { key: string; value: string; timestamp: string; headers: IHeaders }[] = [];
    await consumer.connect();
    await consumer.subscribe({ topics: [target], fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void got.push({ key: message.key!.toString(), value: message.value!.toString(), timestamp: message.timestamp, headers: message.headers ?? {} }) });
    await waitFor('the replayed records', () => got.length >= 4, 30_000);
    await consumer.disconnect();
    expect(got.map((g) => g.value)).toEqual(['line 0', 'line 1', 'line 3', 'line 2']);
    for (const g of got) {
      const n = Number(g.value.split(' ')[1]);
      const original = letters[n];
      expect(g.key).toBe(original.key);
      expect(g.timestamp).toBe(String(Date.parse(original.headers['sluice.dlq.source.timestamp'])));
      const names = Object.keys(g.headers).sort();
      expect(names).toEqual(['sluice.dlq.attempt', 'sluice.replay.of', 'x-origin']);
      expect(g.headers['x-origin']!.toString()).toBe(`o${n}`);
      expect(g.headers['sluice.dlq.attempt']!.toString()).toBe(original.headers['sluice.dlq.attempt']);
      expect(g.headers['sluice.replay.of']!.toString()).toBe(`${srcA}-0-${1000 + n}`);
    }
  });

  it('says so when the dead-letter topic does not exist', () => {
    const none = join(dir, 'none.json');
    writeFileSync(
      none,
      JSON.stringify({
        id: `${run}-none`,
        input: { kafka: { brokers: ['${KAFKA_BROKERS}'], topics: [srcA], groupId: `${run}-none` } },
        output: { elasticsearch: { nodes: ['${ES_URL}'], index: `${run}-none` } },
      }),
    );
    const r = replay([none]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`dead-letter topic ${run}-none.dlq does not exist`);
  });
});
