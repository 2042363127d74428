/**
 * The advertised-listener trap, reproduced with containers: Kafka lives on its own network,
 * where it advertises `kafka:19092`; sluice runs on another network, where the same broker is
 * reachable as `kafka-gateway` but the name `kafka` does not resolve. Clients bootstrap, then
 * fail at the advertised address. `sluice doctor` (the image's, in a container on the client
 * network) names the broker, the advertised address and the fix; with each fix (an
 * extra_hosts entry, or a second listener advertising a reachable name) it passes and the
 * pipeline indexes.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanUp } from '../../scripts/containers/cleanup.js';
import { PROJECT_ROOT, tryDocker } from '../../scripts/containers/engine.js';
import { SLUICE_IMAGE } from '../../scripts/containers/images.js';
import { accessLines, containerIp, createTopic, docker, esCount, produce, startElasticsearch, startKafka, timed, until } from './helpers.js';

const P = 'sluicetest-lst';
const KAFKA_NET = `${P}-kafka-net`;
const CLIENT_NET = `${P}-client-net`;
const KAFKA = `${P}-kafka`;
const ES = `${P}-es`;
const TOPIC = 'listener-test';
const ADVERTISED = 'kafka.internal.example';
let esUrl = '';

function sluiceArgs(extra: string[], index: string): string[] {
  return [
    '--network', CLIENT_NET,
    '--volume', `${join(PROJECT_ROOT, 'deploy/pipelines')}:/etc/sluice/pipelines:ro`,
    '--env', 'KAFKA_BROKERS=kafka-gateway:19092',
    '--env', 'ES_URL=http://elasticsearch:9200',
    '--env', `WEB_ACCESS_TOPIC=${TOPIC}`,
    '--env', `WEB_ACCESS_GROUP_ID=sluice-${index}`,
    '--env', `WEB_ACCESS_INDEX_PREFIX=${index}`,
    ...extra,
  ];
}

function doctor(extra: string[], index = 'listener-doctor') {
  return tryDocker(['run', '--rm', ...sluiceArgs(extra, index), SLUICE_IMAGE, 'doctor', '/etc/sluice/pipelines/web-access.json', '--timeout', '5000'], { timeoutMs: 180_000 });
}

/** Runs the pipeline in a container with `extra` docker-run options until `lines` records are indexed. */
async function pipelineIndexes(name: string, extra: string[], index: string): Promise<void> {
  await docker(['run', '--detach', '--name', name, ...sluiceArgs(extra, index), SLUICE_IMAGE]);
  try {
    await until(`${index}: 100 records indexed`, async () => (await esCount(esUrl, `${index}-*`)) === 100, 180_000, 1000);
  } finally {
    await docker(['rm', '--force', name]);
  }
}

beforeAll(async () => {
  await cleanUp(undefined, P);
  await docker(['network', 'create', KAFKA_NET]);
  await docker(['network', 'create', CLIENT_NET]);
  await timed('listener test: Kafka and Elasticsearch up', async () => {
    // Kafka advertises kafka.internal.example, a name only its own network knows (here: its
    // own /etc/hosts, as behind NAT); on the clients' network it is `kafka-gateway`.
    // Listener EXTERNAL advertises that reachable name.
    await startKafka(KAFKA, KAFKA_NET, {
      advertised: `INTERNAL://${ADVERTISED}:19092,EXTERNAL://kafka-gateway:9092`,
      extra: ['--env', 'KAFKA_LISTENERS=INTERNAL://:19092,EXTERNAL://:9092,CONTROLLER://:9093', '--add-host', `${ADVERTISED}:127.0.0.1`],
    });
    await docker(['network', 'connect', '--alias', 'kafka-gateway', CLIENT_NET, KAFKA]);
    esUrl = await startElasticsearch(ES, CLIENT_NET);
  });
  await createTopic(KAFKA, TOPIC, 2);
  await produce(KAFKA, TOPIC, accessLines('listener', 100));
  // No consumer group has ever existed on this broker: the first doctor that gets past the
  // advertised-address check (the second test) is the first group request, and the broker
  // answers NOT_COORDINATOR_FOR_GROUP until it has created and loaded __consumer_offsets,
  // which doctor must wait for, not report as a FAIL (it did, before).
});

afterAll(async () => {
  await cleanUp(undefined, P);
});

describe('Kafka advertising an address its clients cannot resolve', () => {
  it('sluice doctor, from a container on another network, names the broker, the advertised address and the fix', async () => {
    const r = await timed('listener test: doctor on the trap', () => doctor([]));
    expect(r.code, r.stdout + r.stderr).toBe(1);
    const out = r.stdout + r.stderr;
    expect(out).toMatch(/FAIL +kafka broker 1: advertises kafka\.internal\.example:19092, which does not resolve from here/);
    expect(out).toMatch(/set advertised\.listeners on broker 1 to a host:port reachable from here \(the bootstrap address kafka-gateway:19092 works/);
    expect(out).toMatch(/make kafka\.internal\.example resolve to a reachable address here \(DNS, \/etc\/hosts, Docker extra_hosts\)/);
  });

  it('passes with an extra_hosts entry for the advertised name, and the pipeline indexes', async () => {
    const gateway = await containerIp(KAFKA, CLIENT_NET);
    const hosts = ['--add-host', `${ADVERTISED}:${gateway}`];
    const r = await timed('listener test: doctor with extra_hosts', () => doctor(hosts));
    expect(r.stdout).toMatch(/PASS +kafka broker 1: advertises kafka\.internal\.example:19092: resolves/);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    await timed('listener test: pipeline with extra_hosts', () => pipelineIndexes(`${P}-sluice-hosts`, hosts, 'listener-hosts'));
  });

  it('passes through a second listener that advertises a name the clients resolve, and the pipeline indexes', async () => {
    const external = ['--env', 'KAFKA_BROKERS=kafka-gateway:9092'];
    const r = await timed('listener test: doctor on the second listener', () => doctor(external));
    expect(r.stdout).toMatch(/PASS +kafka broker 1: advertises kafka-gateway:9092: resolves/);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    await timed('listener test: pipeline on the second listener', () => pipelineIndexes(`${P}-sluice-listener`, external, 'listener-second'));
  });
});
