/**
 * `sluice doctor` on real services, with the real CLI.
 *
 * - A healthy pipeline on the local stack: every Kafka and Elasticsearch check passes (WARNs
 *   allowed), with partition counts, the group's lag per partition, the dead-letter topic
 *   validated without being created, the write probe cleaned up, and the index template
 *   check turning from WARN to PASS once a template matches. Exit 0.
 * - The advertised-address trap, for real: an extra Kafka broker whose listeners advertise
 *   an address where nothing listens and a host name that does not resolve. The bootstrap
 *   address works, the metadata comes back, and doctor names the broker id, the advertised
 *   address and the advertised.listeners fix. Exit 1.
 * - Unreachable bootstrap broker, missing topic, unreachable Elasticsearch: FAIL, exit 1.
 */
import kafkajs from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTopic, es, kafkaClient, services, uniqueName } from './helpers/services.js';
import { runSluice } from './helpers/sluice.js';
import { freePort, startExtraBroker, type ExtraBroker } from './helpers/extra-broker.js';

const run = uniqueName('doctor');
let dir: string;

function pipelineFile(name: string, p: { brokers: string; topics: string[]; groupId: string; esUrl: string; index: string; id?: string; template?: object }): string {
  const file = join(dir, `${name}.json`);
  writeFileSync(
    file,
    JSON.stringify({
      id: p.id ?? `${run}-${name}`,
      input: { kafka: { brokers: [p.brokers], topics: p.topics, groupId: p.groupId } },
      output: { elasticsearch: { nodes: [p.esUrl], index: p.index, ...(p.template ? { template: p.template } : {}) } },
    }),
  );
  return file;
}

function doctor(file: string) {
  const r = runSluice(['doctor', file, '--timeout', '3000']);
  return { ...r, lines: r.stdout.split('\n') };
}

/** The line of a check, e.g. line(out, 'PASS', 'kafka topic x'). */
function line(lines: string[], status: 'PASS' | 'WARN' | 'FAIL', check: string): string {
  const found = lines.find((l) => l.startsWith(`${status}  ${check}:`));
  expect(found, `no "${status}  ${check}:" line in:\n${lines.join('\n')}`).toBeDefined();
  return found!;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'sluice-doctor-'));
});

describe('doctor on a healthy pipeline', () => {
  const topic = `${run}-logs`;
  const groupId = `${run}-group`;
  const index = `${run}-web-%{+yyyy.MM.dd}`;
  let file: string;

  beforeAll(async () => {
    await createTopic(topic, 2);
    const producer = kafkaClient().producer();
    await producer.connect();
    await producer.send({ topic, acks: -1, messages: [...Array.from({ length: 5 }, (_, i) => ({ partition: 0, value: `a${i}` })), ...Array.from({ length: 7 }, (_, i) => ({ partition: 1, value: `b${i}` }))] });
    await producer.disconnect();
    const admin = kafkaClient().admin();
    await admin.connect();
    // The group has read 3 of 5 records in partition 0 and all 7 in partition 1.
    await admin.setOffsets({ groupId, topic, partitions: [{ partition: 0, offset: '3' }, { partition: 1, offset: '7' }] });
    await admin.disconnect();
    // Templates left to the operator here (template.manage false): doctor must find theirs.
    file = pipelineFile('healthy', { brokers: services().brokers.join(','), topics: [topic], groupId, esUrl: services().esUrl, index, template: { manage: false } });
  }, 60_000);

  afterAll(async () => {
    await es(`/_index_template/${run}-tpl`, { method: 'DELETE' }).catch(() => {});
  });

  it('passes every check (warnings allowed) and exits 0', async () => {
    const r = doctor(file);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).not.toMatch(/^FAIL/m);
    for (const b of services().brokers) line(r.lines, 'PASS', `kafka bootstrap ${b}`);
    expect(line(r.lines, 'PASS', 'kafka metadata')).toMatch(/cluster \S+, \d+ broker\(s\), controller \d+/);
    expect(r.stdout).toMatch(/^PASS {2}kafka broker \d+: advertises 127\.0\.0\.1:\d+: resolves \(127\.0\.0\.1\) and accepts connections from here$/m);
    expect(line(r.lines, 'PASS', `kafka topic ${topic}`)).toContain('exists, 2 partition(s)');
    expect(line(r.lines, 'PASS', `kafka consumer group ${groupId}`)).toMatch(/Empty, 0 member\(s\)/);
    expect(line(r.lines, 'PASS', `kafka consumer group ${groupId} on ${topic}`)).toContain('lag 2 (p0 2, p1 0)');
    // The dead-letter topic is validated, not created.
    const dlq = `${run}-healthy.dlq`;
    expect(line(r.lines, 'PASS', `kafka dead-letter topic ${dlq}`)).toContain('does not exist yet');
    const admin = kafkaClient().admin();
    await admin.connect();
    expect(await admin.listTopics()).not.toContain(dlq);
    await admin.disconnect();

    expect(line(r.lines, 'PASS', `elasticsearch ${new URL(services().esUrl).origin}`)).toMatch(/reachable, (Elasticsearch|OpenSearch) \d+\.\d+\.\d+/);
    expect(r.stdout).toMatch(/^(PASS|WARN) {2}elasticsearch cluster health: (green|yellow)/m);
    expect(line(r.lines, 'PASS', `elasticsearch write to ${run}-web-*`)).toContain(`indexed a probe document into ${run}-web-sluice-doctor and deleted it and the index ${run}-web-sluice-doctor`);
    expect((await fetch(`${services().esUrl}/${run}-web-sluice-doctor`, { method: 'HEAD' })).status).toBe(404);
    expect(line(r.lines, 'WARN', 'elasticsearch index template')).toContain(`no index template matches ${run}-web-`);
    expect(r.stdout).toMatch(/^ {6}fix: create an index template for .*-web-\* with explicit mappings/m);
    expect(r.lines.at(-2)).toMatch(/^\d+ passed, \d+ warning\(s\), 0 failed$/);
  });

  it('finds the index template once one matches', async () => {
    await es(`/_index_template/${run}-tpl`, { method: 'PUT', body: { index_patterns: [`${run}-web-*`], template: { settings: { number_of_replicas: 0 } } } });
    const r = doctor(file);
    expect(r.code, r.stdout).toBe(0);
    expect(line(r.lines, 'PASS', 'elasticsearch index template')).toContain(`${run}-tpl (${run}-web-*) applies to ${run}-web-`);
  });

  it('says which template sluice installs on start when it manages them (the default)', () => {
    const managed = pipelineFile('managed', { brokers: services().brokers.join(','), topics: [topic], groupId, esUrl: services().esUrl, index: `${run}-managed-%{+yyyy.MM.dd}` });
    const r = doctor(managed);
    expect(r.code, r.stdout).toBe(0);
    expect(line(r.lines, 'PASS', 'elasticsearch index template')).toContain(`sluice installs sluice-${run}-managed for ${run}-managed-* on start`);
  });
});

describe('doctor and the advertised-address trap (a real broker advertising unreachable addresses)', () => {
  let broker: ExtraBroker;
  let dead: number;

  beforeAll(async () => {
    dead = await freePort();
    broker = await startExtraBroker([
      { name: 'PLAINTEXT', advertised: `127.0.0.1:${dead}` },
      { name: 'EXTERNAL', advertised: 'kafka-internal.invalid:9092' },
    ]);
  }, 180_000);

  afterAll(async () => {
    await broker?.stop();
  });

  it('names the broker, the advertised address nothing listens on, and the advertised.listeners fix', () => {
    const bootstrap = broker.bootstrap.PLAINTEXT;
    const file = pipelineFile('nat-address', { brokers: bootstrap, topics: ['t'], groupId: 'g', esUrl: services().esUrl, index: `${run}-nat` });
    const r = doctor(file);
    expect(r.code, r.stdout + r.stderr).toBe(1);
    line(r.lines, 'PASS', `kafka bootstrap ${bootstrap}`);
    expect(line(r.lines, 'PASS', 'kafka metadata')).toContain('1 broker(s)');
    const fail = line(r.lines, 'FAIL', `kafka broker ${broker.nodeId}`);
    expect(fail).toContain(`advertises 127.0.0.1:${dead}, which does not accept connections from here`);
    expect(fail).toContain('connection refused');
    const hint = r.lines[r.lines.indexOf(fail) + 1];
    expect(hint).toMatch(/^ {6}fix: .*set advertised\.listeners on broker 1 /);
    expect(hint).toContain(`PLAINTEXT://${bootstrap}`);
    expect(line(r.lines, 'FAIL', 'kafka topics, consumer group, dead-letter topic')).toContain('not checked');
  });

  it('names a broker whose advertised host name does not resolve, and the host-mapping fix', () => {
    const bootstrap = broker.bootstrap.EXTERNAL;
    const file = pipelineFile('nat-host', { brokers: bootstrap, topics: ['t'], groupId: 'g', esUrl: services().esUrl, index: `${run}-nat` });
    const r = doctor(file);
    expect(r.code, r.stdout + r.stderr).toBe(1);
    line(r.lines, 'PASS', `kafka bootstrap ${bootstrap}`);
    const fail = line(r.lines, 'FAIL', `kafka broker ${broker.nodeId}`);
    expect(fail).toContain('advertises kafka-internal.invalid:9092, which does not resolve from here');
    const hint = r.lines[r.lines.indexOf(fail) + 1];
    expect(hint).toContain('advertised.listeners on broker 1');
    expect(hint).toContain('make kafka-internal.invalid resolve to a reachable address here (DNS, /etc/hosts, Docker extra_hosts)');
  });
});

describe('doctor on a cluster that never had a consumer group (no __consumer_offsets yet)', () => {
  let broker: ExtraBroker;

  beforeAll(async () => {
    // Kafka's default of 50 offsets partitions: loading them takes the broker seconds.
    broker = await startExtraBroker([{ name: 'PLAINTEXT' }], { 'offsets.topic.num.partitions': 50 });
  }, 180_000);

  afterAll(async () => {
    await broker?.stop();
  });

  // The first group request makes the broker create __consumer_offsets; until it is loaded,
  // group requests answer NOT_COORDINATOR_FOR_GROUP / GROUP_LOAD_IN_PROGRESS. That is Kafka
  // starting, not a fault: doctor asks again within --timeout (the retry itself is unit-tested
  // in src/inputs/kafka/diagnostics.test.ts; a local broker is often ready before the retry is
  // needed, a container on a busy host was not: test/containers/listeners.test.ts saw a FAIL).
  it('passes, the group reported as new', async () => {
    const bootstrap = broker.bootstrap.PLAINTEXT;
    const kafka = new kafkajs.Kafka({ brokers: [bootstrap], logLevel: kafkajs.logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'fresh', numPartitions: 1 }], waitForLeaders: true });
    await admin.disconnect();
    const file = pipelineFile('fresh-cluster', { brokers: bootstrap, topics: ['fresh'], groupId: 'first-group', esUrl: services().esUrl, index: `${run}-fresh` });
    const r = runSluice(['doctor', file, '--timeout', '15000']);
    const lines = r.stdout.split('\n');
    expect(line(lines, 'PASS', 'kafka consumer group first-group')).toContain('does not exist yet');
    expect(r.code, r.stdout + r.stderr).toBe(0);
  });
});

describe('doctor failures', () => {
  it('FAILs an unreachable bootstrap broker, a missing topic and an unreachable Elasticsearch', async () => {
    const nowhere = await freePort();
    const r1 = doctor(pipelineFile('no-kafka', { brokers: `127.0.0.1:${nowhere}`, topics: ['t'], groupId: 'g', esUrl: services().esUrl, index: `${run}-x` }));
    expect(r1.code).toBe(1);
    expect(line(r1.lines, 'FAIL', `kafka bootstrap 127.0.0.1:${nowhere}`)).toContain('connection refused');

    const missing = `${run}-missing`;
    const esDown = `http://127.0.0.1:${nowhere}`;
    const r2 = doctor(pipelineFile('no-topic', { brokers: services().brokers.join(','), topics: [missing], groupId: 'g', esUrl: esDown, index: `${run}-x` }));
    expect(r2.code).toBe(1);
    expect(line(r2.lines, 'FAIL', `kafka topic ${missing}`)).toContain('does not exist');
    expect(line(r2.lines, 'FAIL', `elasticsearch ${esDown}`)).toContain('not reachable');
    expect(r2.lines.at(-2)).toMatch(/^\d+ passed, \d+ warning\(s\), 2 failed$/);
  });
});
