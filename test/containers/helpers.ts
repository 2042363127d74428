/**
 * Helpers of the container tests: Kafka and Elasticsearch containers (the local stand-ins of
 * the images docker-compose.yml names), Kafka's own console tools run inside the Kafka
 * container, Elasticsearch queried over HTTP at the container's address, polling.
 * Every container, network and volume is named `sluicetest...` (scripts/containers/cleanup.ts).
 */
import { docker, tryDocker } from '../../scripts/containers/engine.js';
import { composeImages } from '../../scripts/containers/images.js';

export { docker, tryDocker };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `probe` until it returns a value other than undefined/false; throws `what` with the last value on timeout. */
export async function until<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 120_000, everyMs = 1000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== false) return v;
      last = v;
    } catch (e) {
      last = e instanceof Error ? e.message : e;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what} (last: ${JSON.stringify(last)?.slice(0, 500)})`);
    await sleep(everyMs);
  }
}

/** The container's address on `network` (or its first network). */
export async function containerIp(container: string, network?: string): Promise<string> {
  const nets = JSON.parse(await docker(['inspect', '--format', '{{json .NetworkSettings.Networks}}', container])) as Record<string, { IPAddress: string }>;
  const ip = network ? nets[network]?.IPAddress : Object.values(nets)[0]?.IPAddress;
  if (!ip) throw new Error(`${container} has no address${network ? ` on ${network}` : ''}`);
  return ip;
}

export async function containerState(container: string): Promise<{ Status: string; ExitCode: number; Health?: { Status: string } }> {
  return JSON.parse(await docker(['inspect', '--format', '{{json .State}}', container]));
}

/** The environment docker-compose.yml gives its Kafka, for a container named `kafka` on a network. */
export function kafkaEnv(advertised = 'INTERNAL://kafka:19092'): string[] {
  const env = {
    KAFKA_NODE_ID: '1',
    KAFKA_PROCESS_ROLES: 'broker,controller',
    CLUSTER_ID: 'g3czAYz6Rh-nGQqvRGffBQ',
    KAFKA_LISTENERS: 'INTERNAL://:19092,CONTROLLER://:9093',
    KAFKA_ADVERTISED_LISTENERS: advertised,
    KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: 'INTERNAL:PLAINTEXT,EXTERNAL:PLAINTEXT,CONTROLLER:PLAINTEXT',
    KAFKA_INTER_BROKER_LISTENER_NAME: 'INTERNAL',
    KAFKA_CONTROLLER_LISTENER_NAMES: 'CONTROLLER',
    KAFKA_CONTROLLER_QUORUM_VOTERS: '1@localhost:9093',
    KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '1',
    KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: '1',
    KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: '1',
    KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: '0',
    KAFKA_LOG_DIRS: '/var/lib/kafka/data',
    KAFKA_HEAP_OPTS: '-Xmx512m -Xms512m',
  };
  return Object.entries(env).flatMap(([k, v]) => ['--env', `${k}=${v}`]);
}

/** Starts a single-node Kafka container (`kafka:19092` on `network`), waits until it answers. */
export async function startKafka(name: string, network: string, opts: { advertised?: string; extra?: string[] } = {}): Promise<void> {
  await docker(['run', '--detach', '--name', name, '--network', network, '--network-alias', 'kafka', '--hostname', 'kafka', ...kafkaEnv(opts.advertised), ...(opts.extra ?? []), composeImages().kafka]);
  await until(`Kafka in ${name}`, async () => (await kafkaTool(name, 'kafka-broker-api-versions.sh', ['--bootstrap-server', 'localhost:19092'])).code === 0, 180_000, 2000);
}

/** Starts a single-node Elasticsearch container (`elasticsearch:9200` on `network`), waits for yellow. */
export async function startElasticsearch(name: string, network: string, extra: string[] = []): Promise<string> {
  await docker(['run', '--detach', '--name', name, '--network', network, '--network-alias', 'elasticsearch', '--env', 'discovery.type=single-node', '--env', 'xpack.security.enabled=false', '--env', 'ES_JAVA_OPTS=-Xms512m -Xmx512m', ...extra, composeImages().elasticsearch]);
  const url = `http://${await containerIp(name, network)}:9200`;
  await until(`Elasticsearch in ${name}`, async () => (await fetch(`${url}/_cluster/health?wait_for_status=yellow&timeout=5s`)).ok, 180_000, 2000);
  return url;
}

/**
 * A Kafka container: its name, or the arguments of `docker exec` that reach it (a task in a
 * Swarm node: `[node, 'docker', 'exec', '-i', task container]`).
 */
export type KafkaTarget = string | string[];

/** Runs a /opt/kafka/bin tool inside a Kafka container; `input` goes to its stdin. */
export function kafkaTool(container: KafkaTarget, tool: string, args: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const target = typeof container === 'string' ? [container] : container;
  return tryDocker(['exec', '--interactive', ...target, `/opt/kafka/bin/${tool}`, ...args], { input, timeoutMs: 300_000 });
}

export async function createTopic(kafka: KafkaTarget, topic: string, partitions: number, bootstrap = 'localhost:19092'): Promise<void> {
  const r = await kafkaTool(kafka, 'kafka-topics.sh', ['--bootstrap-server', bootstrap, '--create', '--if-not-exists', '--topic', topic, '--partitions', String(partitions), '--replication-factor', '1']);
  if (r.code !== 0) throw new Error(`kafka-topics.sh --create ${topic}: ${r.stderr}`);
}

/** kafka-console-producer.sh inside the Kafka container: one record per line. */
export async function produce(kafka: KafkaTarget, topic: string, lines: string[], bootstrap = 'localhost:19092'): Promise<void> {
  const r = await kafkaTool(kafka, 'kafka-console-producer.sh', ['--bootstrap-server', bootstrap, '--topic', topic, '--producer-property', 'acks=all', '--compression-codec', 'lz4'], lines.join('\n') + '\n');
  if (r.code !== 0) throw new Error(`kafka-console-producer.sh to ${topic} exited ${r.code}: ${r.stderr}`);
}

/** Sum of the end offsets of a topic (records ever written). */
export async function topicRecords(kafka: KafkaTarget, topic: string, bootstrap = 'localhost:19092'): Promise<number> {
  const r = await kafkaTool(kafka, 'kafka-get-offsets.sh', ['--bootstrap-server', bootstrap, '--topic', topic]);
  if (r.code !== 0) throw new Error(`kafka-get-offsets.sh ${topic}: ${r.stderr}`);
  return r.stdout.split('\n').filter(Boolean).reduce((n, l) => n + Number(l.split(':')[2] ?? 0), 0);
}

/**
 * Where the dead letters of a topic came from (`sluice.dlq.source.partition/offset` headers of
 * `<topic>.dlq`), as document ids `<topic>-<partition>-<offset>`; empty while there is no DLQ.
 */
export async function deadLetterIds(kafka: KafkaTarget, topic: string, bootstrap = 'localhost:19092'): Promise<string[]> {
  const count = await topicRecords(kafka, `${topic}.dlq`, bootstrap).catch(() => 0);
  if (count === 0) return [];
  const r = await kafkaTool(kafka, 'kafka-console-consumer.sh', ['--bootstrap-server', bootstrap, '--topic', `${topic}.dlq`, '--from-beginning', '--max-messages', String(count), '--timeout-ms', '30000', '--property', 'print.headers=true', '--property', 'print.value=false']);
  const ids = r.stdout.split('\n').filter(Boolean).map((l) => {
    const partition = /sluice\.dlq\.source\.partition:(\d+)/.exec(l)?.[1];
    const offset = /sluice\.dlq\.source\.offset:(\d+)/.exec(l)?.[1];
    return `${topic}-${partition}-${offset}`;
  });
  if (ids.length !== count) throw new Error(`read ${ids.length} of ${count} dead letters of ${topic}: ${r.stderr}`);
  return ids;
}

/**
 * The delivery contract, checked on the servers: every record of `topic` is settled exactly
 * once, either indexed (document `<topic>-<partition>-<offset>`) or dead-lettered (a starved
 * machine makes a few events miss the filter time budget), never both, none missing. Waits
 * until the numbers add up (or times out with them), then checks that no dead-lettered record
 * was indexed. Returns the counts.
 */
export async function everyRecordSettledOnce(kafka: KafkaTarget, topic: string, esUrl: string, pattern: string, bootstrap = 'localhost:19092', timeoutMs = 600_000): Promise<{ records: number; indexed: number; deadLettered: number }> {
  let last = { records: 0, indexed: 0, deadLettered: 0 };
  await until(`every record of ${topic} indexed or dead-lettered`, async () => {
    const [records, indexed, deadLettered] = await Promise.all([topicRecords(kafka, topic, bootstrap), esCount(esUrl, pattern), topicRecords(kafka, `${topic}.dlq`, bootstrap).catch(() => 0)]);
    last = { records, indexed, deadLettered };
    return indexed + deadLettered === records ? last : undefined;
  }, timeoutMs, 2000).catch((e: Error) => {
    throw new Error(`${e.message}; last counts ${JSON.stringify(last)}`);
  });
  const dead = await deadLetterIds(kafka, topic, bootstrap);
  if (dead.length) {
    const r = await esJson<{ hits: { hits: { _id: string }[] } }>(`${esUrl}/${pattern}/_search`, { method: 'POST', body: JSON.stringify({ size: dead.length, query: { ids: { values: dead } } }) });
    if (r.hits.hits.length) throw new Error(`dead-lettered and indexed: ${r.hits.hits.map((h) => h._id).join(', ')}`);
  }
  return last;
}

export interface GroupPartition {
  partition: number;
  current: number | undefined;
  end: number;
  consumer: string;
}

/** kafka-consumer-groups.sh --describe: committed and end offset per partition, and who owns it. */
export async function describeGroup(kafka: KafkaTarget, group: string, bootstrap = 'localhost:19092'): Promise<GroupPartition[]> {
  const r = await kafkaTool(kafka, 'kafka-consumer-groups.sh', ['--bootstrap-server', bootstrap, '--describe', '--group', group]);
  if (r.code !== 0) throw new Error(`kafka-consumer-groups.sh --describe ${group}: ${r.stderr}`);
  const rows: GroupPartition[] = [];
  for (const line of r.stdout.split('\n')) {
    const f = line.trim().split(/\s+/);
    // GROUP TOPIC PARTITION CURRENT-OFFSET LOG-END-OFFSET LAG CONSUMER-ID HOST CLIENT-ID
    if (f.length < 6 || f[0] !== group || !/^\d+$/.test(f[2]!)) continue;
    rows.push({ partition: Number(f[2]), current: /^\d+$/.test(f[3]!) ? Number(f[3]) : undefined, end: Number(f[4]), consumer: f[6] ?? '-' });
  }
  return rows;
}

/**
 * True when every partition of the group has its committed offset at the end of the log (an
 * empty partition, which never had anything to commit, counts as caught up).
 */
export async function groupCaughtUp(kafka: KafkaTarget, group: string, bootstrap?: string): Promise<boolean> {
  const rows = await describeGroup(kafka, group, bootstrap);
  return rows.length > 0 && rows.every((r) => (r.current ?? 0) === r.end);
}

async function esJson<T>(url: string, init?: RequestInit): Promise<T> {
  const res = await fetch(url, { ...init, headers: { 'content-type': 'application/json', ...(init?.headers ?? {}) } });
  if (!res.ok) throw new Error(`${init?.method ?? 'GET'} ${url}: HTTP ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/** Document count of an index pattern (after a refresh); 0 while no index matches. */
export async function esCount(esUrl: string, pattern: string): Promise<number> {
  await fetch(`${esUrl}/${pattern}/_refresh?allow_no_indices=true`, { method: 'POST' });
  const r = await esJson<{ count: number }>(`${esUrl}/${pattern}/_count?allow_no_indices=true`);
  return r.count;
}

/** Exact number of distinct values of a keyword field (composite aggregation, all pages). */
export async function esDistinct(esUrl: string, pattern: string, field: string): Promise<number> {
  let after: unknown;
  let distinct = 0;
  for (;;) {
    const body = { size: 0, aggs: { v: { composite: { size: 10_000, sources: [{ v: { terms: { field } } }], ...(after ? { after } : {}) } } } };
    const r = await esJson<{ aggregations: { v: { buckets: unknown[]; after_key?: unknown } } }>(`${esUrl}/${pattern}/_search`, { method: 'POST', body: JSON.stringify(body) });
    distinct += r.aggregations.v.buckets.length;
    if (!r.aggregations.v.after_key || r.aggregations.v.buckets.length === 0) return distinct;
    after = r.aggregations.v.after_key;
  }
}

/**
 * Documents of the records `accessLines(tag, ...)` made, found by their raw line (`message`):
 * an event whose filters timed out on a busy machine is indexed unparsed (tag
 * `_filtertimeout`), without url.original, but with its message.
 */
export async function esCountTagged(esUrl: string, pattern: string, tag: string): Promise<number> {
  await fetch(`${esUrl}/${pattern}/_refresh?allow_no_indices=true`, { method: 'POST' });
  const r = await esJson<{ count: number }>(`${esUrl}/${pattern}/_count?allow_no_indices=true`, {
    method: 'POST',
    // The managed ECS template maps `message` as text without a keyword sub-field: a phrase
    // query on it, or the keyword url.original where the line was parsed.
    body: JSON.stringify({ query: { bool: { should: [{ prefix: { 'url.original': `/seq/${tag}/` } }, { match_phrase: { message: `/seq/${tag}/` } }], minimum_should_match: 1 } } }),
  });
  return r.count;
}

/** Index operations done on the primaries of an index pattern (creates and overwrites). */
export async function esIndexTotal(esUrl: string, pattern: string): Promise<number> {
  const r = await esJson<{ _all: { primaries: { indexing?: { index_total: number } } } }>(`${esUrl}/${pattern}/_stats/indexing`);
  return r._all.primaries.indexing?.index_total ?? 0;
}

/**
 * `count` combined access-log lines, each with a unique request path (`/seq/<tag>/<n>`), so
 * the index can be checked for exactly one document per record (esDistinct on url.original).
 */
export function accessLines(tag: string, count: number, from = 0): string[] {
  const lines: string[] = [];
  for (let i = from; i < from + count; i++) {
    const ip = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
    lines.push(`${ip} - - [17/May/2015:10:05:03 +0000] "GET /seq/${tag}/${i} HTTP/1.1" 200 ${100 + (i % 900)} "-" "Mozilla/5.0 (X11; Linux x86_64) sluice-container-test"`);
  }
  return lines;
}

/** Time taken by a test step, printed so the run log shows where the minutes go. */
export function timed<T>(what: string, f: () => Promise<T>): Promise<T> {
  const started = Date.now();
  return f().finally(() => console.log(`[containers] ${what}: ${((Date.now() - started) / 1000).toFixed(1)} s`));
}
