/**
 * The Kafka input's checks for `sluice doctor`: bootstrap brokers reachable; metadata fetched;
 * every address the cluster advertises resolves and accepts connections from here (clients
 * talk to the advertised addresses, not to the bootstrap ones: the classic NAT / container
 * trap); input topics and their partitions; the consumer group's state and lag per
 * partition; the dead-letter topic exists or can be created.
 */
import { lookup } from 'node:dns/promises';
import { connect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import kafkajs, { type Admin } from 'kafkajs';
import { brokerList, kafkaSecurityOptions, type ConnectionSettings } from './connection.js';
import { errorText, withTimeout, type DiagnosticContext, type DiagnosticReport } from '../../core/diagnostics.js';

const { Kafka, logLevel } = kafkajs;

function splitHostPort(address: string): { host: string; port: number } {
  const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(address.trim());
  if (!m) return { host: address.trim(), port: 9092 };
  return { host: m[1], port: Number(m[2]) };
}

type Reach = { ok: true; addresses: string[]; ms: number } | { ok: false; stage: 'resolve' | 'connect'; error: string; addresses: string[] };

/** Resolves `host` and opens (then closes) a TCP connection to host:port. */
export async function reach(host: string, port: number, timeoutMs: number): Promise<Reach> {
  let addresses: string[];
  try {
    addresses = (await withTimeout(lookup(host, { all: true }), timeoutMs, `resolving ${host}`)).map((a) => a.address);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { ok: false, stage: 'resolve', error: code === 'ENOTFOUND' || code === 'EAI_AGAIN' ? `host name ${host} does not resolve (${code})` : (err as Error).message, addresses: [] };
  }
  const started = performance.now();
  return new Promise<Reach>((resolve) => {
    const socket = connect({ host, port, timeout: timeoutMs });
    const done = (r: Reach) => {
      socket.destroy();
      resolve(r);
    };
    socket.once('connect', () => done({ ok: true, addresses, ms: Math.round(performance.now() - started) }));
    socket.once('timeout', () => done({ ok: false, stage: 'connect', error: `no answer within ${timeoutMs} ms (filtered by a firewall, or an address of another network)`, addresses }));
    socket.once('error', (err: NodeJS.ErrnoException) =>
      done({ ok: false, stage: 'connect', error: err.code === 'ECONNREFUSED' ? `connection refused (nothing listens on ${host}:${port})` : `${err.code ?? ''} ${err.message}`.trim(), addresses }),
    );
  });
}

export interface ClusterMetadata {
  clusterId: string | null;
  controllerId: number;
  brokers: { nodeId: number; host: string; port: number; rack: string | null }[];
}

/**
 * One Metadata request (v4) to one broker, over a plain socket. kafkajs cannot do this:
 * after the first answer it talks only to the advertised addresses, which is exactly what
 * may be broken, so the doctor asks the bootstrap broker itself what the cluster advertises.
 */
export function fetchClusterMetadata(host: string, port: number, timeoutMs: number, clientId = 'sluice-doctor', ssl?: ConnectionOptions): Promise<ClusterMetadata> {
  const client = Buffer.from(clientId, 'utf8');
  const body = Buffer.alloc(2 + 2 + 4 + 2 + client.length + 4 + 1);
  let o = 0;
  o = body.writeInt16BE(3, o); // api key: Metadata
  o = body.writeInt16BE(4, o); // api version 4 (non-flexible, supported from Kafka 1.0 on)
  o = body.writeInt32BE(1, o); // correlation id
  o = body.writeInt16BE(client.length, o);
  o += client.copy(body, o);
  o = body.writeInt32BE(0, o); // topics: none (brokers and controller only)
  body.writeInt8(0, o); // allow_auto_topic_creation: false
  const request = Buffer.concat([Buffer.from([0, 0, 0, 0]), body]);
  request.writeInt32BE(body.length, 0);
  return new Promise((resolve, reject) => {
    const socket: Socket = ssl
      ? tlsConnect({ host, port, timeout: timeoutMs, ...(isIP(host) ? {} : { servername: host }), ...ssl })
      : connect({ host, port, timeout: timeoutMs });
    let buf = Buffer.alloc(0);
    const fail = (err: Error) => {
      socket.destroy();
      reject(err);
    };
    socket.once(ssl ? 'secureConnect' : 'connect', () => socket.write(request));
    socket.once('timeout', () => fail(new Error(`no Metadata answer from ${host}:${port} within ${timeoutMs} ms`)));
    socket.once('error', fail);
    socket.once('close', () => reject(new Error(`${host}:${port} closed the connection without answering a Kafka Metadata request (not a plaintext Kafka listener?)`)));
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      if (buf.length < 4) return;
      const size = buf.readInt32BE(0);
      if (size < 0 || size > 64 * 1024 * 1024) return fail(new Error(`${host}:${port} does not answer like a Kafka broker`));
      if (buf.length < 4 + size) return;
      socket.removeAllListeners('close');
      socket.destroy();
      try {
        let p = 4 + 4 + 4; // size, correlation id, throttle_time_ms
        const int32 = () => ((p += 4), buf.readInt32BE(p - 4));
        const str = () => {
          const n = buf.readInt16BE(p);
          p += 2;
          if (n < 0) return null;
          p += n;
          return buf.toString('utf8', p - n, p);
        };
        const brokers: ClusterMetadata['brokers'] = [];
        for (let i = int32(); i > 0; i--) brokers.push({ nodeId: int32(), host: str() ?? '', port: int32(), rack: str() });
        const clusterId = str();
        const controllerId = int32();
        resolve({ clusterId, controllerId, brokers });
      } catch (err) {
        reject(new Error(`cannot read the Metadata answer of ${host}:${port}: ${(err as Error).message}`));
      }
    });
  });
}

export interface KafkaInputSettings extends ConnectionSettings {
  topics?: string[];
  topicPattern?: string;
  groupId: string;
  startFrom?: 'earliest' | 'latest';
}

const ADVERTISED_HINT = (id: number, address: string, host: string, working?: string) =>
  `clients talk to the address a broker advertises, not to the bootstrap address: set advertised.listeners on broker ${id} to a host:port reachable from here` +
  (working ? ` (the bootstrap address ${working} works: e.g. PLAINTEXT://${working})` : ' (e.g. a separate listener for clients outside its network)') +
  (isIP(host) ? `, or make ${address} reachable from here (port mapping, firewall)` : `, or make ${host} resolve to a reachable address here (DNS, /etc/hosts, Docker extra_hosts)`);

export async function kafkaDiagnostics(config: KafkaInputSettings, ctx: DiagnosticContext): Promise<void> {
  const { report, timeoutMs, logger } = ctx;
  const bootstrap = brokerList(config.brokers);

  // 1. Bootstrap brokers: resolve and connect.
  const reachable: string[] = [];
  for (const b of bootstrap) {
    const { host, port } = splitHostPort(b);
    const r = await reach(host, port, timeoutMs);
    if (r.ok) {
      reachable.push(b);
      report.pass(`kafka bootstrap ${b}`, `reachable (${r.addresses.join(', ')}, TCP connect in ${r.ms} ms)`);
    } else {
      report.fail(
        `kafka bootstrap ${b}`,
        r.error,
        r.stage === 'resolve'
          ? `fix the host name in input.kafka.brokers (KAFKA_BROKERS), or make it resolve here (DNS, /etc/hosts)`
          : `check that a broker runs at ${b}, that input.kafka.brokers (KAFKA_BROKERS) names its client listener port, and that no firewall blocks it`,
      );
    }
  }
  if (reachable.length === 0) {
    report.fail('kafka metadata', 'not fetched: no bootstrap broker is reachable', 'fix the bootstrap addresses first; the remaining Kafka checks need a broker');
    return;
  }

  // 2. Metadata, asked of a bootstrap broker directly (kafkajs would go on to the advertised
  // addresses, which is what may be broken). With SASL that needs an authenticated client.
  let security: ReturnType<typeof kafkaSecurityOptions>;
  try {
    security = kafkaSecurityOptions(config);
  } catch (err) {
    report.fail('kafka security settings', (err as Error).message, 'fix input.kafka.tls / input.kafka.sasl');
    return;
  }
  const clientId = `${config.clientId ?? 'sluice'}-doctor`;
  const kafka = new Kafka({
    clientId,
    brokers: reachable,
    connectionTimeout: timeoutMs,
    requestTimeout: timeoutMs * 2,
    logLevel: logger.isLevelEnabled('debug') ? logLevel.INFO : logLevel.NOTHING,
    retry: { retries: 1, initialRetryTime: 200, maxRetryTime: 1000 },
    ...security,
  });
  const budget = timeoutMs * 3;
  let cluster: ClusterMetadata | undefined;
  let lastError = '';
  for (const b of security.sasl ? [] : reachable) {
    const { host, port } = splitHostPort(b);
    try {
      cluster = await fetchClusterMetadata(host, port, timeoutMs, clientId, security.ssl);
      report.pass('kafka metadata', `fetched from ${b}: cluster ${cluster.clusterId ?? '?'}, ${cluster.brokers.length} broker(s), controller ${cluster.controllerId}`);
      break;
    } catch (err) {
      lastError = `${b}: ${(err as Error).message}`;
    }
  }
  if (security.sasl) {
    const probe = kafka.admin({ retry: { retries: 1, initialRetryTime: 200, maxRetryTime: 1000 } });
    try {
      await withTimeout(probe.connect(), budget, 'connecting');
      const d = await withTimeout(probe.describeCluster(), budget, 'fetching metadata');
      cluster = { clusterId: d.clusterId, controllerId: d.controller ?? -1, brokers: d.brokers.map((b) => ({ ...b, rack: null })) };
      report.pass('kafka metadata', `fetched (SASL ${config.sasl!.mechanism} as ${config.sasl!.username}): cluster ${cluster.clusterId ?? '?'}, ${cluster.brokers.length} broker(s), controller ${cluster.controllerId}`);
    } catch (err) {
      lastError = `${errorText(err)} (with SASL the metadata comes through a Kafka client, which also needs the advertised addresses to be reachable)`;
    } finally {
      await probe.disconnect().catch(() => {});
    }
  }
  if (!cluster) {
    report.fail(
      'kafka metadata',
      `not fetched: ${lastError}`,
      security.ssl || security.sasl
        ? 'check input.kafka.tls / input.kafka.sasl against the listener the bootstrap address belongs to (SSL, SASL_SSL, SASL_PLAINTEXT) and the broker\'s credentials'
        : 'the bootstrap port accepts connections but does not answer Kafka requests: make sure it is a PLAINTEXT client listener (not the controller port; for SSL/SASL listeners set input.kafka.tls / input.kafka.sasl) and that the broker is healthy',
    );
    return;
  }

  // 3. Advertised addresses: what clients really connect to after the first request.
  const usable: string[] = [];
  for (const b of [...cluster.brokers].sort((x, y) => x.nodeId - y.nodeId)) {
    const address = `${b.host}:${b.port}`;
    const r = await reach(b.host, b.port, timeoutMs);
    if (r.ok) {
      usable.push(address);
      report.pass(`kafka broker ${b.nodeId}`, `advertises ${address}: resolves (${r.addresses.join(', ')}) and accepts connections from here`);
    } else {
      report.fail(`kafka broker ${b.nodeId}`, `advertises ${address}, which ${r.stage === 'resolve' ? 'does not resolve from here' : 'does not accept connections from here'}: ${r.error}`, ADVERTISED_HINT(b.nodeId, address, b.host, cluster.brokers.length === 1 && reachable.length === 1 ? reachable[0] : undefined));
    }
  }
  if (usable.length === 0) {
    report.fail(
      'kafka topics, consumer group, dead-letter topic',
      'not checked: no broker is reachable at the address it advertises, so no Kafka client (sluice included) gets past its first request',
      'fix the advertised addresses above, then run doctor again',
    );
    return;
  }
  const partial = usable.length < cluster.brokers.length ? ' (some brokers are unreachable at their advertised address, see above)' : '';

  const admin = kafka.admin({ retry: { retries: 1, initialRetryTime: 200, maxRetryTime: 1000 } });
  try {
    // 4. Topics.
    const allTopics = await withTimeout(
      admin.connect().then(() => admin.listTopics()),
      budget,
      'listing topics',
    ).catch((err) => {
      report.fail('kafka topics', `cannot list topics: ${errorText(err)}${partial}`, 'fix the broker connectivity above; with ACLs, grant DESCRIBE on the topics to sluice\'s principal');
      return undefined;
    });
    if (!allTopics) return;
    let topics: string[] = [];
    if (config.topics) {
      for (const t of config.topics) {
        if (allTopics.includes(t)) topics.push(t);
        else report.fail(`kafka topic ${t}`, 'does not exist', `create it (kafka-topics.sh --create --topic ${t} --partitions <n>) or fix input.kafka.topics; sluice never creates input topics`);
      }
    }
    if (config.topicPattern) {
      const re = new RegExp(config.topicPattern);
      const matched = allTopics.filter((t) => re.test(t) && !t.startsWith('__'));
      if (matched.length) report.pass(`kafka topicPattern /${config.topicPattern}/`, `matches ${matched.length} topic(s): ${matched.slice(0, 10).join(', ')}${matched.length > 10 ? ', ...' : ''}`);
      else report.warn(`kafka topicPattern /${config.topicPattern}/`, 'matches no topic', 'check the pattern; topics created later are picked up only when the pipeline restarts');
      topics.push(...matched.filter((t) => !topics.includes(t)));
    }
    topics = [...new Set(topics)];
    const ends = new Map<string, { partition: number; low: bigint; high: bigint }[]>();
    if (topics.length) {
      try {
        const meta = await withTimeout(admin.fetchTopicMetadata({ topics }), budget, 'fetching topic metadata');
        for (const t of meta.topics) {
          const leaderless = t.partitions.filter((p) => p.leader < 0).map((p) => p.partitionId);
          const underReplicated = t.partitions.filter((p) => p.isr.length < p.replicas.length).map((p) => p.partitionId);
          const detail = `exists, ${t.partitions.length} partition(s), replication factor ${t.partitions[0]?.replicas.length ?? 0}`;
          if (leaderless.length) report.fail(`kafka topic ${t.name}`, `${detail}; partitions without a leader: ${leaderless.join(', ')}`, 'a broker holding these partitions is down: bring it back (or reassign the partitions)');
          else if (underReplicated.length) report.warn(`kafka topic ${t.name}`, `${detail}; under-replicated partitions: ${underReplicated.join(', ')}`, 'a replica is behind or its broker is down: check the brokers listed in the replicas');
          else report.pass(`kafka topic ${t.name}`, detail);
        }
        for (const t of topics) {
          const offsets = await withTimeout(admin.fetchTopicOffsets(t), budget, `fetching offsets of ${t}`);
          ends.set(t, offsets.map((o) => ({ partition: o.partition, low: BigInt(o.low), high: BigInt(o.high) })).sort((a, b) => a.partition - b.partition));
        }
      } catch (err) {
        report.fail('kafka topics', `cannot read topic metadata or offsets: ${errorText(err)}${partial}`, 'partition leaders must be reachable from here: fix the broker connectivity above');
      }
    }

    // 5. Consumer group state and lag.
    await groupCheck(admin, config, topics, ends, report, budget, partial);

    // 6. Dead-letter topic.
    const dlq = ctx.deadLetter.topic;
    if (allTopics.includes(dlq)) {
      try {
        const meta = await withTimeout(admin.fetchTopicMetadata({ topics: [dlq] }), budget, 'fetching dead-letter topic metadata');
        report.pass(`kafka dead-letter topic ${dlq}`, `exists, ${meta.topics[0]?.partitions.length ?? '?'} partition(s)`);
      } catch (err) {
        report.fail(`kafka dead-letter topic ${dlq}`, `exists but cannot be described: ${errorText(err)}`, 'grant DESCRIBE and WRITE on it to sluice\'s principal');
      }
    } else {
      try {
        await withTimeout(
          admin.createTopics({ validateOnly: true, waitForLeaders: false, topics: [{ topic: dlq, numPartitions: ctx.deadLetter.partitions ?? 1, replicationFactor: ctx.deadLetter.replicationFactor ?? -1 }] }),
          budget,
          'validating the dead-letter topic creation',
        );
        report.pass(`kafka dead-letter topic ${dlq}`, 'does not exist yet; the brokers accept its creation (checked with validateOnly), so sluice creates it on start');
      } catch (err) {
        report.fail(
          `kafka dead-letter topic ${dlq}`,
          `does not exist and cannot be created: ${errorText(err)}`,
          `create it (kafka-topics.sh --create --topic ${dlq} --partitions ${ctx.deadLetter.partitions ?? 1}) or grant CREATE to sluice's principal; set deadLetter.replicationFactor if the broker default does not fit`,
        );
      }
    }
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

/**
 * The answers of a group coordinator that is starting rather than broken: Kafka creates and
 * loads `__consumer_offsets` on the first group request a cluster ever gets (and loads a
 * partition of it again when its leader moves); until then every group request answers one
 * of these. kafkajs retries them only briefly.
 */
const COORDINATOR_STARTING = new Set(['GROUP_LOAD_IN_PROGRESS', 'GROUP_COORDINATOR_NOT_AVAILABLE', 'NOT_COORDINATOR_FOR_GROUP']);

/** Whether `err`, or what it wraps (kafkajs' retrier wraps the last protocol error), is one of COORDINATOR_STARTING. */
export function coordinatorStarting(err: unknown): boolean {
  let e = err as { type?: unknown; cause?: unknown } | undefined;
  for (let depth = 0; e && depth < 5; depth++, e = e.cause as typeof e) {
    if (typeof e.type === 'string' && COORDINATOR_STARTING.has(e.type)) return true;
  }
  return false;
}

/** `request`, again (backing off up to 2 s) while the coordinator is starting, within `budgetMs` in all. */
export async function whileCoordinatorStarts<T>(request: () => Promise<T>, budgetMs: number, what: string): Promise<T> {
  const deadline = Date.now() + budgetMs;
  for (let pause = 250; ; pause = Math.min(pause * 2, 2000)) {
    try {
      return await withTimeout(request(), Math.max(1, deadline - Date.now()), what);
    } catch (err) {
      if (!coordinatorStarting(err) || Date.now() + pause >= deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, pause));
    }
  }
}

const STILL_STARTING = 'normal on a cluster that never had a consumer group, or right after a broker restart: Kafka is loading __consumer_offsets; run doctor again in a minute (or with a longer --timeout)';

async function groupCheck(
  admin: Admin,
  config: KafkaInputSettings,
  topics: string[],
  ends: Map<string, { partition: number; low: bigint; high: bigint }[]>,
  report: DiagnosticReport,
  budget: number,
  partial: string,
): Promise<void> {
  const name = `kafka consumer group ${config.groupId}`;
  let state: string;
  let members: number;
  try {
    const described = await whileCoordinatorStarts(() => admin.describeGroups([config.groupId]), budget, 'describing the consumer group');
    const g = described.groups[0];
    state = g?.state ?? 'Dead';
    members = g?.members.length ?? 0;
  } catch (err) {
    if (coordinatorStarting(err)) report.warn(name, `cannot be described yet: the group coordinator is still starting (${errorText(err)})${partial}`, STILL_STARTING);
    else report.fail(name, `cannot be described: ${errorText(err)}${partial}`, 'the group coordinator (a broker) must be reachable from here: fix the broker connectivity above; with ACLs, grant DESCRIBE and READ on the group');
    return;
  }
  const committed = new Map<string, Map<number, bigint>>();
  try {
    if (topics.length) {
      const fetched = await whileCoordinatorStarts(() => admin.fetchOffsets({ groupId: config.groupId, topics }), budget, 'fetching committed offsets');
      for (const t of fetched) committed.set(t.topic, new Map(t.partitions.filter((p) => Number(p.offset) >= 0).map((p) => [p.partition, BigInt(p.offset)])));
    }
  } catch (err) {
    if (coordinatorStarting(err)) report.warn(name, `state ${state}, committed offsets cannot be read yet: the group coordinator is still starting (${errorText(err)})${partial}`, STILL_STARTING);
    else report.fail(name, `state ${state}, committed offsets cannot be read: ${errorText(err)}${partial}`, 'the group coordinator must be reachable from here; with ACLs, grant DESCRIBE on the group');
    return;
  }
  const rebalancing = state === 'PreparingRebalance' || state === 'CompletingRebalance';
  const stateText = state === 'Dead' ? 'does not exist yet' : `${state}, ${members} member(s)`;
  if (rebalancing) report.warn(name, stateText, 'members are joining or leaving; if this persists, look for replicas that crash-loop or exceed max.poll/session timeouts');
  else report.pass(name, stateText);
  for (const t of topics) {
    const parts = ends.get(t);
    if (!parts) continue;
    const c = committed.get(t) ?? new Map<number, bigint>();
    if (c.size === 0) {
      const waiting = parts.reduce((n, p) => n + (p.high - p.low), 0n);
      report.pass(`${name} on ${t}`, `no committed offsets yet: a first run starts at the ${config.startFrom ?? 'earliest'} offset (${waiting} record(s) in the topic now)`);
      continue;
    }
    let total = 0n;
    const perPartition: string[] = [];
    const lost: string[] = [];
    for (const p of parts) {
      const off = c.get(p.partition);
      const lag = off === undefined ? p.high - p.low : p.high - off;
      total += lag > 0n ? lag : 0n;
      perPartition.push(`p${p.partition} ${lag > 0n ? lag : 0n}${off === undefined ? ' (no commit)' : ''}`);
      if (off !== undefined && off < p.low) lost.push(`p${p.partition}: committed ${off}, earliest available ${p.low} (${p.low - off} record(s) deleted by retention before they were read)`);
    }
    const detail = `lag ${total} (${perPartition.join(', ')})`;
    if (lost.length) report.warn(`${name} on ${t}`, `${detail}; ${lost.join('; ')}`, 'the pipeline fell further behind than the topic\'s retention: raise retention.ms/retention.bytes or add replicas; the deleted records cannot be recovered from Kafka');
    else report.pass(`${name} on ${t}`, detail);
  }
}
