/**
 * docker-compose.yml, unchanged, with Debian's docker-compose 1.29 on a real engine (Kibana
 * left out: its image cannot be built here). The sample producer's records are indexed
 * exactly; a sluice replica killed mid-stream and restarted loses and duplicates nothing;
 * Kafka's and Elasticsearch's data survive `down` + `up` on their named volumes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanUp } from '../../scripts/containers/cleanup.js';
import { DOCKER_ENV, exec, PROJECT_ROOT } from '../../scripts/containers/engine.js';
import { accessLines, containerIp, deadLetterIds, esCountTagged, everyRecordSettledOnce, containerState, docker, esCount, esIndexTotal, groupCaughtUp, produce, timed, topicRecords, until } from './helpers.js';

const PROJECT = 'sluicetestcompose';
const SERVICES = ['kafka', 'kafka-setup', 'elasticsearch', 'sluice', 'sample-producer'];
const KAFKA = `${PROJECT}_kafka_1`;
const ES = `${PROJECT}_elasticsearch_1`;
const GROUP = 'sluice-web-access';
const TOPIC = 'web-access';
const SAMPLE_LINES = 1000;
const KILL_LINES = 40_000;

async function compose(args: string[]): Promise<string> {
  const r = await exec('docker-compose', ['--project-name', PROJECT, '--file', 'docker-compose.yml', ...args], { cwd: PROJECT_ROOT, env: DOCKER_ENV, timeoutMs: 600_000 });
  if (r.code !== 0) throw new Error(`docker-compose ${args.join(' ')} exited ${r.code}:\n${r.stderr.slice(-4000)}`);
  return r.stdout + r.stderr;
}

async function sluiceContainers(): Promise<string[]> {
  return (await docker(['ps', '--filter', `label=com.docker.compose.project=${PROJECT}`, '--filter', 'label=com.docker.compose.service=sluice', '--format', '{{.Names}}'])).split('\n').filter(Boolean).sort();
}

let esUrl = '';
const esPattern = 'web-access-*';

beforeAll(async () => {
  await cleanUp(undefined, PROJECT);
});

afterAll(async () => {
  await compose(['down', '--volumes', '--remove-orphans']).catch(() => undefined);
  await cleanUp(undefined, PROJECT);
});

describe('docker-compose.yml with docker-compose 1.29', () => {
  it('comes up without Kibana and indexes the sample producer\'s records exactly', async () => {
    expect(await exec('docker-compose', ['version', '--short'])).toMatchObject({ code: 0, stdout: expect.stringMatching(/^1\.29\./) });
    await timed('compose: up (kafka, elasticsearch, sluice x2, sample producer)', () => compose(['up', '--detach', ...SERVICES]));
    // deploy.replicas: 2 of the compose file.
    expect(await sluiceContainers()).toHaveLength(2);
    esUrl = `http://${await containerIp(ES)}:9200`;
    await timed('compose: sample indexed', async () => {
      await until('the sample producer finished', async () => {
        const s = await containerState(`${PROJECT}_sample-producer_1`);
        return s.Status === 'exited' ? s : undefined;
      }, 180_000, 2000).then((s) => expect(s.ExitCode).toBe(0));
      await until(`${SAMPLE_LINES} documents`, async () => (await esCount(esUrl, esPattern)) === SAMPLE_LINES, 180_000);
    });
    expect(await topicRecords(KAFKA, TOPIC, 'kafka:19092')).toBe(SAMPLE_LINES);
    for (const c of await sluiceContainers()) {
      expect(await docker(['exec', c, 'id', '-u'])).toBe('10001');
    }
  });

  it('loses and duplicates nothing when a replica is killed mid-stream and restarted', async () => {
    const lines = accessLines('compose-kill', KILL_LINES);
    const victim = (await sluiceContainers())[0]!;
    await timed('compose: kill a replica mid-stream, restart, all indexed', async () => {
      const producing = produce(KAFKA, TOPIC, lines, 'kafka:19092');
      const seen = await until('indexing under way', async () => {
        const n = (await esCount(esUrl, esPattern)) - SAMPLE_LINES;
        return n >= KILL_LINES * 0.05 ? n : undefined;
      }, 300_000, 300);
      await docker(['kill', victim]);
      console.log(`[containers] compose: killed ${victim} after ${seen} of ${KILL_LINES} new records were indexed`);
      expect(seen).toBeLessThan(KILL_LINES);
      await producing;
      // docker kill counts as a manual stop for the restart policy: start it by hand.
      await docker(['start', victim]);
      // Each record settled once: indexed under <topic>-<partition>-<offset>, or dead-lettered.
      const counts = await everyRecordSettledOnce(KAFKA, TOPIC, esUrl, esPattern, 'kafka:19092');
      expect(counts.indexed + counts.deadLettered).toBe(counts.records);
    });
    const dead = (await deadLetterIds(KAFKA, TOPIC, 'kafka:19092')).length;
    expect(await esCountTagged(esUrl, esPattern, 'compose-kill') + dead).toBeGreaterThanOrEqual(KILL_LINES);
    await until('the group caught up', () => groupCaughtUp(KAFKA, GROUP, 'kafka:19092'), 120_000, 2000);
  });

  it('keeps Kafka\'s and Elasticsearch\'s data on the named volumes across down + up', async () => {
    const before = await everyRecordSettledOnce(KAFKA, TOPIC, esUrl, esPattern, 'kafka:19092');
    await timed('compose: down + up', async () => {
      await compose(['down']);
      const volumes = (await docker(['volume', 'ls', '--format', '{{.Name}}'])).split('\n');
      expect(volumes).toEqual(expect.arrayContaining([`${PROJECT}_kafka-data`, `${PROJECT}_es-data`]));
      await compose(['up', '--detach', ...SERVICES]);
    });
    esUrl = `http://${await containerIp(ES)}:9200`;
    await until('Elasticsearch answers', async () => (await fetch(`${esUrl}/_cluster/health?wait_for_status=yellow&timeout=5s`)).ok, 180_000, 2000);
    // Elasticsearch: the indices are back with every document.
    expect(await esCount(esUrl, esPattern)).toBe(before.indexed);
    // Kafka: the topic with all its records, and the sample producer saw them and sent nothing.
    expect(await topicRecords(KAFKA, TOPIC, 'kafka:19092')).toBe(before.records);
    await until('the sample producer finished', async () => (await containerState(`${PROJECT}_sample-producer_1`)).Status === 'exited', 180_000, 2000);
    expect(await docker(['logs', `${PROJECT}_sample-producer_1`])).toContain(`already holds ${before.records} records`);
    // The group's committed offsets survived: a new record is the only thing indexed.
    await produce(KAFKA, TOPIC, accessLines('compose-after-up', 1), 'kafka:19092');
    await until(`${before.indexed + 1} documents`, async () => (await esCount(esUrl, esPattern)) === before.indexed + 1, 180_000, 1000);
    // Index operations since Elasticsearch restarted: just that one (nothing re-indexed).
    expect(await esIndexTotal(esUrl, esPattern)).toBe(1);
  });
});
