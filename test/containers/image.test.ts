/**
 * The sluice image built from the project's Dockerfile (`docker build`, by the global setup)
 * and run on a real engine: non-root, read-only root file system under a foreign --user,
 * /healthz, and a graceful `docker stop` that commits what it indexed.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanUp } from '../../scripts/containers/cleanup.js';
import { PROJECT_ROOT } from '../../scripts/containers/engine.js';
import { imageSize, SLUICE_IMAGE } from '../../scripts/containers/images.js';
import { containerIp, containerState, createTopic, describeGroup, docker, esCount, esIndexTotal, groupCaughtUp, produce, startElasticsearch, startKafka, timed, until } from './helpers.js';

const P = 'sluicetest-img';
const NET = `${P}-net`;
const KAFKA = `${P}-kafka`;
const ES = `${P}-es`;
const SLUICE = `${P}-sluice`;
const TOPIC = 'image-test';
const GROUP = 'sluice-image-test';
const INDEX = 'image-test';
let esUrl = '';

function sluiceArgs(): string[] {
  return [
    '--network', NET,
    '--read-only', '--tmpfs', '/tmp',
    // A UID:GID that exists neither in the image nor on the host.
    '--user', '1234:1234',
    '--volume', `${join(PROJECT_ROOT, 'deploy/pipelines')}:/etc/sluice/pipelines:ro`,
    '--env', 'KAFKA_BROKERS=kafka:19092',
    '--env', 'ES_URL=http://elasticsearch:9200',
    '--env', `WEB_ACCESS_TOPIC=${TOPIC}`,
    '--env', `WEB_ACCESS_GROUP_ID=${GROUP}`,
    '--env', `WEB_ACCESS_INDEX_PREFIX=${INDEX}`,
    '--env', 'SLUICE_SHUTDOWN_TIMEOUT_MS=30000',
  ];
}

beforeAll(async () => {
  await cleanUp(undefined, P);
  await docker(['network', 'create', NET]);
  await timed('image test: Kafka and Elasticsearch containers up', () => Promise.all([startKafka(KAFKA, NET), startElasticsearch(ES, NET).then((u) => (esUrl = u))]));
  await createTopic(KAFKA, TOPIC, 4);
});

afterAll(async () => {
  await cleanUp(undefined, P);
});

describe('the sluice image on a Docker engine', () => {
  it('is built from the Dockerfile and runs as its non-root user by default', async () => {
    const size = await imageSize(SLUICE_IMAGE);
    console.log(`[containers] ${SLUICE_IMAGE}: ${(size / 1e6).toFixed(0)} MB`);
    const config = JSON.parse(await docker(['image', 'inspect', '--format', '{{json .Config}}', SLUICE_IMAGE])) as { User: string };
    expect(config.User).toBe('10001:10001');
    expect(await docker(['run', '--rm', '--entrypoint', 'id', SLUICE_IMAGE])).toMatch(/^uid=10001\(sluice\) gid=10001\(sluice\)/);
    expect(await docker(['run', '--rm', '--entrypoint', 'node', SLUICE_IMAGE, '--version'])).toMatch(/^v24\./);
  });

  it('runs with --read-only --user 1234:1234, answers /healthz and becomes healthy', async () => {
    await timed('image test: start with --read-only --user 1234:1234 until healthy', async () => {
      await docker(['run', '--detach', '--name', SLUICE, ...sluiceArgs(), SLUICE_IMAGE]);
      expect(await docker(['exec', SLUICE, 'id', '-u'])).toBe('1234');
      const ip = await containerIp(SLUICE, NET);
      const res = await until('/healthz', async () => {
        const r = await fetch(`http://${ip}:9600/healthz`);
        return r.status === 200 ? r : undefined;
      }, 60_000, 500);
      expect(res.status).toBe(200);
      // The image's Node (24) restarted itself with the memory options of bin/sluice: the heap
      // cap from the in-flight limits (one pipeline, default limits: 120 MiB), 8 MiB
      // semi-spaces and a heap growing factor of 2 (docs/operations.md, "Memory").
      const commands = await docker(['exec', SLUICE, 'sh', '-c', 'for f in /proc/[0-9]*/cmdline; do tr "\\0" " " < "$f"; echo; done']);
      const sluice = commands.split('\n').find((c) => c.includes('bin/sluice run'));
      expect(sluice, commands).toMatch(/^\S*node --max-old-space-size=120 --max-semi-space-size=8 --heap-growing-percent=100 /);
      // Docker's own HEALTHCHECK (deploy/healthcheck.mjs on the image's node).
      await until('Docker health status healthy', async () => (await containerState(SLUICE)).Health?.Status === 'healthy', 120_000, 2000);
      // The root file system is read-only for it.
      const write = await docker(['exec', SLUICE, 'sh', '-c', 'touch /app/x 2>&1 || echo refused']);
      expect(write).toMatch(/Read-only file system|refused/);
    });
  });

  it('indexes, stops gracefully on docker stop (exit 0, offsets committed), and a restart re-indexes nothing', async () => {
    const lines = readFileSync(join(PROJECT_ROOT, 'samples/web-access.log'), 'utf8').trim().split('\n');
    await timed('image test: 1000 sample lines indexed', async () => {
      await produce(KAFKA, TOPIC, lines);
      await until('all sample lines indexed', async () => (await esCount(esUrl, `${INDEX}-*`)) === lines.length, 180_000);
      // Stop only once the group is stable and has committed everything (no SIGTERM during a join).
      await until('the group caught up', () => groupCaughtUp(KAFKA, GROUP), 120_000, 2000).catch(async (e: Error) => {
        throw new Error(`${e.message}\n${JSON.stringify(await describeGroup(KAFKA, GROUP))}\n${await docker(['exec', KAFKA, '/opt/kafka/bin/kafka-consumer-groups.sh', '--bootstrap-server', 'localhost:19092', '--describe', '--group', GROUP])}`);
      });
    });
    const indexedBefore = await esIndexTotal(esUrl, `${INDEX}-*`);
    expect(indexedBefore).toBe(lines.length);

    await timed('image test: docker stop', () => docker(['stop', '--time', '60', SLUICE]));
    const state = await containerState(SLUICE);
    expect(state.ExitCode).toBe(0);
    const logs = await docker(['logs', SLUICE]).catch((e: Error) => e.message);
    expect(await groupCaughtUp(KAFKA, GROUP)).toBe(true);

    await timed('image test: restart until the replica owns all partitions again', async () => {
      await docker(['start', SLUICE]);
      await until('the restarted replica owns the partitions', async () => {
        const rows = await describeGroup(KAFKA, GROUP);
        return rows.length === 4 && rows.every((r) => r.consumer !== '-');
      }, 120_000, 2000);
    });
    // One more record, indexed by the restarted replica, shows it consumes; had it started
    // over from an older offset, the records before this one would have been indexed again.
    await produce(KAFKA, TOPIC, lines.slice(0, 1));
    await until('the new record indexed', async () => (await esCount(esUrl, `${INDEX}-*`)) === lines.length + 1, 120_000);
    expect(await esIndexTotal(esUrl, `${INDEX}-*`), logs.slice(-3000)).toBe(indexedBefore + 1);
  });
});
