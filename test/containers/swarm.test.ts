/**
 * deploy/swarm/stack.yml, unchanged, on a real three-node Swarm: three containers running
 * Debian's dockerd (sluice-local/dind) on one network, `docker swarm init` / `join`, images
 * copied with `docker save | docker load`. Kafka, Elasticsearch and a Basic-auth gate in front
 * of it (test/containers/swarm/services.yml) join the stack's overlay network; sluice gets its
 * Elasticsearch password as the Swarm secret the stack file names.
 *
 * Records flow while the replicas are updated, scaled, drained and killed; after each step
 * every record of the topic is settled exactly once: indexed (document id
 * <topic>-<partition>-<offset>) or dead-lettered, never both, none missing. An event whose filters timed out on the busy machine is indexed unparsed;
 * the checks find records by their raw line.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanUp } from '../../scripts/containers/cleanup.js';
import { DOCKER, exec, PROJECT_ROOT } from '../../scripts/containers/engine.js';
import { composeImages, DIND_IMAGE, NODE_IMAGE, SLUICE_IMAGE } from '../../scripts/containers/images.js';
import { accessLines, containerIp, deadLetterIds, esCountTagged, everyRecordSettledOnce, createTopic, describeGroup, docker, esCount, groupCaughtUp, kafkaTool, produce, timed, until, type KafkaTarget } from './helpers.js';

const P = 'sluicetest-swarm';
const NET = `${P}-net`;
const NODES = [1, 2, 3].map((i) => ({ container: `${P}-${i}`, hostname: `swarm-node-${i}` }));
const MANAGER = NODES[0]!.container;
const STACK = 'sluice';
const SERVICE = `${STACK}_sluice`;
const TOPIC = 'web-access';
const GROUP = 'sluice-web-access';
const PARTITIONS = 12;
const ES_PASSWORD = 'swarm-secret-password-42';
const INDEX = 'web-access-*';
let esUrl = '';

/** `docker <args>` on the manager node. */
function onManager(args: string[], opts: { input?: string; env?: Record<string, string> } = {}): Promise<string> {
  const env = Object.entries(opts.env ?? {}).flatMap(([k, v]) => ['--env', `${k}=${v}`]);
  return docker(['exec', '--interactive', '--workdir', '/stack', ...env, MANAGER, 'docker', ...args], { input: opts.input });
}

/** The container of a stack service's task on the manager (Kafka, Elasticsearch, es-auth are pinned there). */
async function managerTask(service: string): Promise<string> {
  return until(`a running task of ${service}`, async () => (await onManager(['ps', '--quiet', '--filter', `label=com.docker.swarm.service.name=${STACK}_${service}`])).split('\n')[0] || undefined, 240_000, 2000);
}

let kafkaTask = '';
const kafka = (): KafkaTarget => [MANAGER, 'docker', 'exec', '--interactive', kafkaTask];

interface Task {
  id: string;
  node: string;
  image: string;
  desired: string;
  state: string;
}

async function tasks(service = SERVICE): Promise<Task[]> {
  const out = await onManager(['service', 'ps', service, '--no-trunc', '--format', '{{.ID}}|{{.Node}}|{{.Image}}|{{.DesiredState}}|{{.CurrentState}}']);
  return out
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const [id, node, image, desired, state] = l.split('|') as [string, string, string, string, string];
      return { id, node, image, desired, state };
    });
}

const running = async (service = SERVICE) => (await tasks(service)).filter((t) => t.desired === 'Running' && t.state.startsWith('Running'));

/** Waits until `n` tasks run (and no other is meant to), returns them. */
function converged(n: number, extra: (ts: Task[]) => boolean = () => true): Promise<Task[]> {
  return until(`${n} running sluice tasks`, async () => {
    const all = await tasks();
    const live = all.filter((t) => t.desired === 'Running');
    const run = live.filter((t) => t.state.startsWith('Running'));
    return run.length === n && live.length === n && extra(run) ? run : undefined;
  }, 300_000, 2000);
}

const esCountOf = (tag: string) => esCountTagged(esUrl, INDEX, tag);

/**
 * Produces `count` unique records in batches while `action` runs (started once indexing is
 * under way), then checks that every record of the topic is settled exactly once.
 */
async function whileRecordsFlow(tag: string, count: number, action: () => Promise<void>): Promise<void> {
  const batch = Math.ceil(count / 5);
  let producedAll = false;
  const producing = (async () => {
    for (let from = 0; from < count; from += batch) await produce(kafka(), TOPIC, accessLines(tag, Math.min(batch, count - from), from), 'kafka:19092');
    producedAll = true;
  })();
  await until(`records of ${tag} being indexed`, async () => (await esCountOf(tag)) > 0, 300_000, 500);
  await action();
  await producing;
  expect(producedAll).toBe(true);
  const counts = await everyRecordSettledOnce(kafka(), TOPIC, esUrl, INDEX, 'kafka:19092');
  console.log(`[containers] swarm: after ${tag}: ${JSON.stringify(counts)}`);
  expect(counts.indexed + counts.deadLettered).toBe(counts.records);
  // Every line of this step is there (a line may be in the topic twice: the console producer retries).
  expect(await esCountOf(tag) + (await deadLetterIds(kafka(), TOPIC, 'kafka:19092')).length).toBeGreaterThanOrEqual(count);
}

beforeAll(async () => {
  await cleanUp(undefined, P);
  const images = composeImages();
  await timed('swarm: three dockerd nodes, images loaded, swarm formed', async () => {
    await docker(['network', 'create', NET]);
    for (const n of NODES) {
      await docker(['run', '--detach', '--name', n.container, '--hostname', n.hostname, '--network', NET,
        // What a dockerd needs inside a container when --privileged is not allowed. SYS_PTRACE:
        // `docker exec` (and so every HEALTHCHECK) opens /proc/<pid>/ns/* of the task's process.
        '--cap-add', 'SYS_ADMIN', '--cap-add', 'NET_ADMIN', '--cap-add', 'SYS_PTRACE', '--security-opt', 'seccomp=unconfined', '--security-opt', 'apparmor=unconfined',
        '--cgroupns', 'host', '--volume', '/sys/fs/cgroup:/sys/fs/cgroup:rw', DIND_IMAGE]);
    }
    for (const n of NODES) await until(`dockerd in ${n.container}`, async () => (await docker(['exec', n.container, 'docker', 'info', '--format', '{{.ServerVersion}}'])) !== '', 60_000, 1000);
    // The manager runs Kafka, Elasticsearch and es-auth; sluice may run anywhere.
    await loadImages(MANAGER, [SLUICE_IMAGE, NODE_IMAGE, images.kafka, images.elasticsearch]);
    for (const n of NODES.slice(1)) await loadImages(n.container, [SLUICE_IMAGE]);
    await docker(['exec', MANAGER, 'mkdir', '-p', '/stack']);
    const managerIp = await containerIp(MANAGER, NET);
    await onManager(['swarm', 'init', '--advertise-addr', managerIp]);
    const token = await onManager(['swarm', 'join-token', '--quiet', 'worker']);
    for (const n of NODES.slice(1)) await docker(['exec', n.container, 'docker', 'swarm', 'join', '--token', token, `${managerIp}:2377`]);
    esUrl = `http://${managerIp}:9200`;
  });

  await timed('swarm: Kafka, Elasticsearch, es-auth deployed, topic created', async () => {
    await docker(['cp', join(PROJECT_ROOT, 'deploy/swarm/stack.yml'), `${MANAGER}:/stack/stack.yml`]);
    await docker(['cp', join(PROJECT_ROOT, 'deploy/swarm/pipelines'), `${MANAGER}:/stack/pipelines`]);
    for (const f of ['services.yml', 'es-auth-proxy.mjs']) await docker(['cp', join(PROJECT_ROOT, 'test/containers/swarm', f), `${MANAGER}:/stack/${f}`]);
    // The stack file's external secret, created the way its header says.
    await onManager(['secret', 'create', 'sluice_es_password', '-'], { input: ES_PASSWORD });
    await onManager(['stack', 'deploy', '--resolve-image', 'never', '--compose-file', 'services.yml', STACK], { env: { KAFKA_IMAGE: images.kafka, ES_IMAGE: images.elasticsearch, NODE_IMAGE } });
    kafkaTask = await managerTask('kafka');
    await until('Kafka in the swarm', async () => (await kafkaTool(kafka(), 'kafka-broker-api-versions.sh', ['--bootstrap-server', 'kafka:19092'])).code === 0, 240_000, 3000);
    await createTopic(kafka(), TOPIC, PARTITIONS, 'kafka:19092');
    await until('Elasticsearch in the swarm', async () => (await fetch(`${esUrl}/_cluster/health?wait_for_status=yellow&timeout=5s`)).ok, 240_000, 2000);
  });

  await timed('swarm: deploy/swarm/stack.yml deployed, 3 replicas running', async () => {
    await onManager(['stack', 'deploy', '--resolve-image', 'never', '--compose-file', 'stack.yml', '--compose-file', 'services.yml', STACK], {
      env: {
        SLUICE_IMAGE, KAFKA_BROKERS: 'kafka:19092', ES_URL: 'http://es-auth:9200', SLUICE_REPLICAS: '3',
        KAFKA_IMAGE: images.kafka, ES_IMAGE: images.elasticsearch, NODE_IMAGE,
      },
    });
    await converged(3);
  });
}, 1_200_000);

async function loadImages(node: string, images: string[]): Promise<void> {
  // docker save | docker exec -i NODE docker load, through a shell pipe (the archive is large).
  const r = await exec('sh', ['-c', `${DOCKER} save ${images.join(' ')} | ${DOCKER} exec -i ${node} docker load`]);
  if (r.code !== 0) throw new Error(`loading ${images.join(' ')} into ${node}: ${r.stderr}`);
}

afterAll(async () => {
  await cleanUp(undefined, P);
});

describe('deploy/swarm/stack.yml on a three-node Swarm', () => {
  it('spreads the replicas over the nodes, which share the partitions; the password arrives as a Swarm secret', async () => {
    const run = await running();
    expect(new Set(run.map((t) => t.node)).size).toBe(3);
    await timed('swarm: first records indexed by three replicas', () => whileRecordsFlow('swarm-start', 3000, async () => {}));
    await until('the group caught up', () => groupCaughtUp(kafka(), GROUP, 'kafka:19092'), 120_000, 2000);
    const owners = new Set((await describeGroup(kafka(), GROUP, 'kafka:19092')).map((r) => r.consumer));
    expect(owners.size).toBe(3);
    expect(owners.has('-')).toBe(false);
    // The password reached sluice through ES_PASSWORD_FILE: es-auth accepted its requests and
    // refuses requests without it.
    const gate = await managerTask('es-auth');
    const stats = JSON.parse(await onManager(['exec', gate, 'node', '-e', 'fetch("http://localhost:9200/__stats").then(r=>r.text()).then(t=>console.log(t))'])) as { accepted: number };
    expect(stats.accepted).toBeGreaterThan(0);
    expect(await onManager(['exec', gate, 'node', '-e', 'fetch("http://localhost:9200/_bulk",{method:"POST"}).then(r=>console.log(r.status))'])).toBe('401');
    // The secret file in a replica: owned by the service's user, readable by it only.
    const local = (await onManager(['ps', '--quiet', '--filter', `label=com.docker.swarm.service.name=${SERVICE}`])).split('\n')[0]!;
    expect(await onManager(['exec', local, 'stat', '-c', '%u:%g %a', '/run/secrets/es_password'])).toBe('10001:10001 400');
  });

  it('rolls `docker service update --image` one replica at a time while records flow, each record indexed once', async () => {
    // A rebuilt image under a new tag on every node (a new image ID: one more layer of metadata).
    for (const n of NODES) await docker(['exec', '--interactive', n.container, 'docker', 'build', '--quiet', '--tag', 'sluice:local-v2', '-'], { input: `FROM ${SLUICE_IMAGE}\nLABEL dev.sluice.test.rebuild=v2\n` });
    let maxRunning = 0;
    let minRunning = Infinity;
    await timed('swarm: rolling update', () => whileRecordsFlow('swarm-update', 30_000, async () => {
      await onManager(['service', 'update', '--detach', '--image', 'sluice:local-v2', SERVICE]);
      await until('the rolling update completed', async () => {
        const n = (await running()).length;
        maxRunning = Math.max(maxRunning, n);
        minRunning = Math.min(minRunning, n);
        return (await onManager(['service', 'inspect', '--format', '{{if .UpdateStatus}}{{.UpdateStatus.State}}{{end}}', SERVICE])) === 'completed';
      }, 600_000, 2000);
    }));
    // start-first, parallelism 1: never fewer than the replicas, never more than one extra.
    expect(minRunning).toBeGreaterThanOrEqual(3);
    expect(maxRunning).toBeLessThanOrEqual(4);
    const run = await converged(3);
    expect(run.every((t) => t.image === 'sluice:local-v2')).toBe(true);
  });

  it('scales up and down while records flow without loss or duplicates', async () => {
    await timed('swarm: scale 3 -> 5 -> 2 -> 3', () => whileRecordsFlow('swarm-scale', 20_000, async () => {
      await onManager(['service', 'scale', '--detach', `${SERVICE}=5`]);
      await converged(5);
      await onManager(['service', 'scale', '--detach', `${SERVICE}=2`]);
      await converged(2);
    }));
    await onManager(['service', 'scale', '--detach', `${SERVICE}=3`]);
    await converged(3);
  });

  it('drains a node running replicas while records flow without loss or duplicates', async () => {
    const node = NODES[1]!.hostname;
    expect((await running()).some((t) => t.node === node)).toBe(true);
    await timed('swarm: drain a node', () => whileRecordsFlow('swarm-drain', 20_000, async () => {
      await onManager(['node', 'update', '--availability', 'drain', node]);
      await converged(3, (ts) => ts.every((t) => t.node !== node));
    }));
    await onManager(['node', 'update', '--availability', 'active', node]);
  });

  it('survives a node killed outright (docker kill of its container) while records flow', async () => {
    const victim = NODES[2]!;
    expect((await running()).some((t) => t.node === victim.hostname)).toBe(true);
    await timed('swarm: kill a node', () => whileRecordsFlow('swarm-node-kill', 20_000, async () => {
      await docker(['kill', victim.container]);
      await until(`${victim.hostname} down`, async () => (await onManager(['node', 'inspect', '--format', '{{.Status.State}}', victim.hostname])) === 'down', 120_000, 2000);
      await converged(3, (ts) => ts.every((t) => t.node !== victim.hostname));
    }));
  });

  it('keeps replicas up and healthy while Elasticsearch is down (no restart storm), and catches up after', async () => {
    await onManager(['service', 'scale', '--detach', `${STACK}_elasticsearch=0`]);
    await until('Elasticsearch stopped', async () => (await running(`${STACK}_elasticsearch`)).length === 0, 120_000, 2000);
    const before = await running();
    const knownTasks = new Set((await tasks()).map((t) => t.id));
    // Records arrive during the outage.
    await produce(kafka(), TOPIC, accessLines('swarm-es-down', 2000), 'kafka:19092');
    // Three health-check intervals (15 s each, 3 retries): a replica unhealthy for that long would be replaced.
    const watchUntil = Date.now() + 50_000;
    await until('the outage observed for 50 s', async () => {
      const now = await running();
      expect(now.map((t) => t.id).sort()).toEqual(before.map((t) => t.id).sort());
      return Date.now() > watchUntil;
    }, 120_000, 5000);
    // No task was started meanwhile: nothing restarted.
    expect((await tasks()).filter((t) => !knownTasks.has(t.id))).toEqual([]);
    // Docker's health status of every replica (liveness only: /healthz), on the nodes still up.
    let checked = 0;
    for (const n of NODES.slice(0, 2)) {
      const ids = (await docker(['exec', n.container, 'docker', 'ps', '--quiet', '--filter', `label=com.docker.swarm.service.name=${SERVICE}`])).split('\n').filter(Boolean);
      for (const c of ids) {
        expect(await docker(['exec', n.container, 'docker', 'inspect', '--format', '{{.State.Health.Status}}', c])).toBe('healthy');
        checked++;
      }
    }
    expect(checked).toBe(3);
    await onManager(['service', 'scale', '--detach', `${STACK}_elasticsearch=1`]);
    await until('Elasticsearch back', async () => (await fetch(`${esUrl}/_cluster/health?wait_for_status=yellow&timeout=5s`)).ok, 240_000, 2000);
    const counts = await everyRecordSettledOnce(kafka(), TOPIC, esUrl, INDEX, 'kafka:19092');
    expect(counts.indexed + counts.deadLettered).toBe(counts.records);
    expect(await esCountOf('swarm-es-down')).toBeGreaterThan(0);
  });
});
