/**
 * Real Apache Kafka brokers in KRaft mode. Every node is a combined broker+controller;
 * with N nodes the controller quorum has N voters (static `controller.quorum.voters`), so a
 * 3-node stack tolerates one node down.
 */
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import kafkajs from 'kafkajs';
import { paths, roles, PROJECT_ROOT } from './paths.js';
import { logTail, markerArg, runningPid, startDetached, stopProcess } from './procs.js';
import type { StackState } from './state.js';
import { JAVA, resolveClasspath, StackError } from './toolchain.js';
import { currentKafkaVersion, kafkaComponent, kafkaLogConfigArg, kafkaToolClasses, type KafkaVersion } from './kafka-versions.js';

const { Kafka, logLevel } = kafkajs;

/** Broker main class (Scala, in kafka_2.13), the same in 3.9 and 4.x. */
export const KAFKA_MAIN = 'kafka.Kafka';
/**
 * Tool names for kafkaTool(), valid for the Kafka the stack runs (class names moved in 4.0;
 * kafkaTool() maps these names to the classes of that version).
 */
export const CONSOLE_PRODUCER = 'console-producer';
export const CONSOLE_CONSUMER = 'console-consumer';
export const TOPIC_COMMAND = 'topics';
export const CONSUMER_GROUP_COMMAND = 'consumer-groups';
export const DUMP_LOG_SEGMENTS = 'dump-log-segments';
const TOOL_NAMES = {
  [CONSOLE_PRODUCER]: 'consoleProducer',
  [CONSOLE_CONSUMER]: 'consoleConsumer',
  [TOPIC_COMMAND]: 'topicCommand',
  [CONSUMER_GROUP_COMMAND]: 'consumerGroupCommand',
  [DUMP_LOG_SEGMENTS]: 'dumpLogSegments',
} as const;

const KAFKA_HEAP = process.env.SLUICE_STACK_KAFKA_HEAP ?? '512m';

type KafkaState = NonNullable<StackState['kafka']>;

/** A fresh KRaft cluster id: 16 random bytes, base64url without padding (Kafka's Uuid format). */
export function newClusterId(): string {
  for (;;) {
    const id = crypto.randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id; // a leading '-' would read as an option on command lines
  }
}

export function brokerList(kafka: KafkaState): string[] {
  return Object.keys(kafka.nodes)
    .map(Number)
    .sort((a, b) => a - b)
    .map((id) => `127.0.0.1:${kafka.nodes[id]!.port}`);
}

function serverProperties(kafka: KafkaState, id: number): string {
  const node = kafka.nodes[id]!;
  const n = kafka.brokers;
  const rf = Math.min(3, n);
  const voters = Object.entries(kafka.nodes)
    .map(([nid, p]) => `${nid}@127.0.0.1:${p.controllerPort}`)
    .join(',');
  const props: Record<string, string | number | boolean> = {
    'process.roles': 'broker,controller',
    'node.id': id,
    'controller.quorum.voters': voters,
    listeners: `PLAINTEXT://127.0.0.1:${node.port},CONTROLLER://127.0.0.1:${node.controllerPort}`,
    'advertised.listeners': `PLAINTEXT://127.0.0.1:${node.port}`,
    'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'inter.broker.listener.name': 'PLAINTEXT',
    'controller.listener.names': 'CONTROLLER',
    'log.dirs': path.join(paths.kafkaNode(id), 'data'),
    'auto.create.topics.enable': true,
    'num.partitions': 1,
    // Auto-created topics are replicated like in production once there are 3 brokers, so
    // fault tests that kill a broker lose nothing that was acknowledged with acks=all.
    'default.replication.factor': rf,
    'min.insync.replicas': rf >= 3 ? 2 : 1,
    'offsets.topic.replication.factor': rf,
    // Fewer partitions than the default 50: the first consumer group join is faster locally.
    'offsets.topic.num.partitions': 10,
    'transaction.state.log.replication.factor': rf,
    'transaction.state.log.min.isr': rf >= 3 ? 2 : 1,
    'transaction.state.log.num.partitions': 10,
    'group.initial.rebalance.delay.ms': 0,
    'log.retention.hours': 168,
    'num.network.threads': 2,
    'num.io.threads': 4,
  };
  return (
    `# Written by scripts/stack on every start; edit scripts/stack/kafka.ts instead.\n` +
    Object.entries(props)
      .map(([k, v]) => `${k}=${v}`)
      .join('\n') +
    '\n'
  );
}

function runJava(args: string[], input?: string | Buffer, cwd = PROJECT_ROOT): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(JAVA, args, { cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
    child.stdin.on('error', () => {}); // the tool may exit before reading all input
    child.stdin.end(input ?? '');
  });
}

/** JVM flags for short-lived tools: small heap, fast start. */
export function toolJvmArgs(version: KafkaVersion): string[] {
  return ['-Xmx256m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-Djava.awt.headless=true', kafkaLogConfigArg(version, 'tools')];
}

/** The Kafka a stack's storage was made for (stacks from before 4.x were 3.9). */
export function stackKafkaVersion(kafka: KafkaState): KafkaVersion {
  return kafka.version ?? '3';
}

/** The classpath of a Kafka version (resolved through Maven once, then cached). */
export function resolveKafkaClasspath(version: KafkaVersion, log?: (m: string) => void): Promise<string[]> {
  return resolveClasspath(kafkaComponent(version), log);
}

/** Writes server.properties for node `id` and formats its storage if it never was. */
export async function prepareNode(kafka: KafkaState, id: number, classpath: string[]): Promise<string> {
  const dir = paths.kafkaNode(id);
  const dataDir = path.join(dir, 'data');
  fs.mkdirSync(dataDir, { recursive: true });
  const propsFile = path.join(dir, 'server.properties');
  fs.writeFileSync(propsFile, serverProperties(kafka, id));
  if (!fs.existsSync(path.join(dataDir, 'meta.properties'))) {
    const version = stackKafkaVersion(kafka);
    const res = await runJava([
      ...toolJvmArgs(version),
      '-cp',
      classpath.join(path.delimiter),
      kafkaToolClasses(version).storageTool,
      'format',
      '-t',
      kafka.clusterId,
      '-c',
      propsFile,
      '--ignore-formatted',
    ]);
    if (res.code !== 0) {
      throw new StackError(`formatting Kafka storage for node ${id} failed (exit ${res.code}):\n${res.stdout}\n${res.stderr}`);
    }
  }
  return propsFile;
}

/** Starts broker `id` detached (its storage must be prepared). Returns the pid. */
export function spawnBroker(kafka: KafkaState, id: number, classpath: string[]): number {
  const role = roles.kafka(id);
  const existing = runningPid(role);
  if (existing !== undefined) return existing;
  const dir = paths.kafkaNode(id);
  return startDetached(
    role,
    JAVA,
    [
      markerArg(role),
      `-Xms${KAFKA_HEAP}`,
      `-Xmx${KAFKA_HEAP}`,
      '-XX:+UseG1GC',
      '-XX:MaxGCPauseMillis=20',
      '-XX:InitiatingHeapOccupancyPercent=35',
      '-XX:+ExplicitGCInvokesConcurrent',
      '-Djava.awt.headless=true',
      `-Dkafka.logs.dir=${path.join(dir, 'logs')}`,
      kafkaLogConfigArg(stackKafkaVersion(kafka), 'broker'),
      '-cp',
      classpath.join(path.delimiter),
      KAFKA_MAIN,
      path.join(dir, 'server.properties'),
    ],
    dir,
  );
}

export function stopBroker(id: number, signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM') {
  // A KRaft broker's controlled shutdown needs the controller quorum; when all nodes stop
  // together the last ones can wait for it, hence the SIGKILL fallback after the grace time.
  return stopProcess(roles.kafka(id), { signal, graceMs: 30_000 });
}

function admin(brokers: string[]) {
  return new Kafka({
    clientId: 'sluice-stack',
    brokers,
    logLevel: logLevel.NOTHING,
    connectionTimeout: 3000,
    requestTimeout: 10_000,
    retry: { retries: 2, initialRetryTime: 200 },
  }).admin();
}

/** Node ids of the brokers that the cluster currently reports (empty when unreachable). */
export async function describeBrokers(brokers: string[]): Promise<number[]> {
  const a = admin(brokers);
  try {
    await a.connect();
    const cluster = await a.describeCluster();
    return cluster.brokers.map((b) => b.nodeId).sort((x, y) => x - y);
  } catch {
    return [];
  } finally {
    await a.disconnect().catch(() => {});
  }
}

/**
 * Full health probe: a topic can be created (with leaders) and deleted. Retried for up to
 * `timeoutMs`: brokers that have just registered can still refuse the first round trip ("This
 * server does not host this topic-partition" while their metadata catches up).
 */
export async function probeTopicRoundTrip(brokers: string[], replicationFactor: number, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const a = admin(brokers);
    const topic = `__sluice_stack_health_${crypto.randomBytes(4).toString('hex')}`;
    try {
      await a.connect();
      await a.createTopics({ topics: [{ topic, numPartitions: 1, replicationFactor }], waitForLeaders: true, timeout: 20_000 });
      await a.deleteTopics({ topics: [topic], timeout: 20_000 });
      return;
    } catch (err) {
      if (Date.now() > deadline) throw new StackError(`Kafka is up but a test topic cannot be created and deleted: ${(err as Error).message}. See ${paths.logs}/kafka-*.log`);
    } finally {
      await a.disconnect().catch(() => {});
    }
    await sleep(1000);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Waits until describeCluster lists every node in `expectIds`; fails early with the log
 * tail when one of their processes exits.
 */
export async function waitForBrokers(kafka: KafkaState, expectIds: number[], timeoutMs = 180_000): Promise<void> {
  const brokers = brokerList(kafka);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    for (const id of expectIds) {
      if (runningPid(roles.kafka(id)) === undefined) {
        throw new StackError(`Kafka node ${id} exited during start-up. Last lines of ${paths.logFile(roles.kafka(id))}:\n${logTail(roles.kafka(id))}`);
      }
    }
    const seen = await describeBrokers(brokers);
    if (expectIds.every((id) => seen.includes(id))) return;
    if (Date.now() > deadline) {
      throw new StackError(
        `Kafka did not report brokers [${expectIds.join(',')}] within ${timeoutMs / 1000}s (saw [${seen.join(',')}]). See ${paths.logs}/kafka-*.log`,
      );
    }
    await sleep(500);
  }
}

// ----------------------------------------------------------------------------------------
// Command-line tools

export interface ToolResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs a Kafka Java tool (one of the names above, e.g. CONSOLE_PRODUCER, TOPIC_COMMAND, or
 * a main class) with the classpath of the Kafka the stack runs, feeding `input` on stdin. Never throws on a non-zero exit.
 */
export async function kafkaTool(tool: string, args: string[], opts: { input?: string | Buffer } = {}): Promise<ToolResult> {
  const version = currentKafkaVersion();
  const classpath = await resolveKafkaClasspath(version);
  const known = TOOL_NAMES[tool as keyof typeof TOOL_NAMES];
  const mainClass = known ? kafkaToolClasses(version)[known] : tool;
  return runJava([...toolJvmArgs(version), '-cp', classpath.join(path.delimiter), mainClass, ...args], opts.input);
}

function bootstrap(brokers: string | string[]): string {
  return Array.isArray(brokers) ? brokers.join(',') : brokers;
}

/** Console tool options renamed in Kafka 4 (the 3.9 names are deprecated there). */
function consoleOptionNames(version: KafkaVersion) {
  return version === '3'
    ? { readerProperty: '--property', formatterProperty: '--property', producerProperty: '--producer-property' }
    : { readerProperty: '--reader-property', formatterProperty: '--formatter-property', producerProperty: '--command-property' };
}

export type CompressionCodec = 'gzip' | 'snappy' | 'lz4' | 'zstd' | 'none';

export interface ConsoleProduceOptions {
  /** Producer compression (`--compression-codec`); default none. */
  compression?: CompressionCodec;
  /** Lines are `key<sep>value` (parse.key=true). */
  parseKey?: boolean;
  /** Separator between key and value, default tab. */
  keySeparator?: string;
  /**
   * Headers added to every record (parse.headers=true). Names and values must not contain
   * ',', ':' or a tab, which the console producer uses as delimiters.
   */
  headers?: Record<string, string>;
  /** Extra producer configs (`--producer-property k=v`). */
  producerProperties?: Record<string, string>;
}

/** Produces one record per line with the real console producer (acks=all); throws on failure. */
export async function consoleProduce(brokers: string | string[], topic: string, lines: string[], opts: ConsoleProduceOptions = {}): Promise<ToolResult> {
  const { readerProperty, producerProperty } = consoleOptionNames(currentKafkaVersion());
  const args = ['--bootstrap-server', bootstrap(brokers), '--topic', topic, '--request-required-acks', 'all'];
  args.push('--compression-codec', opts.compression ?? 'none');
  if (opts.parseKey) {
    args.push(readerProperty, 'parse.key=true');
    if (opts.keySeparator !== undefined) args.push(readerProperty, `key.separator=${opts.keySeparator}`);
  }
  let input = lines;
  if (opts.headers && Object.keys(opts.headers).length > 0) {
    for (const [k, v] of Object.entries(opts.headers)) {
      if (/[,:\t]/.test(k) || /[,:\t]/.test(v)) throw new Error(`header ${k}=${v}: ',', ':' and tab are not allowed by the console producer`);
    }
    const prefix = Object.entries(opts.headers)
      .map(([k, v]) => `${k}:${v}`)
      .join(',');
    args.push(readerProperty, 'parse.headers=true');
    input = lines.map((l) => `${prefix}\t${l}`);
  }
  for (const [k, v] of Object.entries(opts.producerProperties ?? {})) args.push(producerProperty, `${k}=${v}`);
  const res = await kafkaTool(CONSOLE_PRODUCER, args, { input: input.map((l) => l + '\n').join('') });
  // The producer logs send failures (ERROR) but may still exit 0.
  if (res.code !== 0 || /\bERROR\b/.test(res.stderr)) {
    throw new Error(`console producer failed (exit ${res.code}) for topic ${topic}:\n${res.stderr}${res.stdout}`);
  }
  return res;
}

export interface ConsoleConsumeOptions {
  fromBeginning?: boolean;
  /** Stop after this many records. */
  maxMessages?: number;
  printHeaders?: boolean;
  printKey?: boolean;
  /** Separator printed between key and value (default tab). */
  keySeparator?: string;
  /** Exit when no record arrives for this long (default 10 s). */
  timeoutMs?: number;
  /** Consumer group (default: a random console-consumer-* group). */
  group?: string;
}

/**
 * Reads records with the real console consumer. `lines` holds one printed record per line
 * (`headers<TAB>key<TAB>value` depending on the print options; headers print as `k:v,k:v`
 * or `NO_HEADERS`).
 */
export async function consoleConsume(brokers: string | string[], topic: string, opts: ConsoleConsumeOptions = {}): Promise<ToolResult & { lines: string[] }> {
  const args = ['--bootstrap-server', bootstrap(brokers), '--topic', topic, '--timeout-ms', String(opts.timeoutMs ?? 10_000)];
  if (opts.fromBeginning ?? true) args.push('--from-beginning');
  if (opts.maxMessages !== undefined) args.push('--max-messages', String(opts.maxMessages));
  const { formatterProperty } = consoleOptionNames(currentKafkaVersion());
  if (opts.printKey) args.push(formatterProperty, 'print.key=true');
  if (opts.keySeparator !== undefined) args.push(formatterProperty, `key.separator=${opts.keySeparator}`);
  if (opts.printHeaders) args.push(formatterProperty, 'print.headers=true');
  if (opts.group) args.push('--group', opts.group);
  const res = await kafkaTool(CONSOLE_CONSUMER, args);
  const out = res.stdout.endsWith('\n') ? res.stdout.slice(0, -1) : res.stdout;
  const lines = out.length === 0 ? [] : out.split('\n');
  return { ...res, lines };
}
