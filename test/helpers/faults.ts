/**
 * Helpers for the fault tests (test/faults/): fast producing, pipeline files, process
 * statistics from /proc, log scanning, and private stacks for tests that stop
 * Elasticsearch or kill brokers.
 *
 * Nothing here imports scripts/stack statically: scripts/stack/paths.ts reads
 * SLUICE_STACK_DIR when it is first imported, so a test that needs its own stack calls
 * `privateStack()` (which sets the variable, then imports the stack module) before anything
 * else touches scripts/stack.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import kafkajs from 'kafkajs';
import { registerCompressionCodecs } from '../../src/inputs/kafka/compression.js';
import { es, services, waitFor } from './services.js';
import { ROOT, startSluice, type Running } from './sluice.js';
import { procStats } from './proc.js';

export type StackModule = typeof import('../../scripts/stack/index.js');

export interface PrivateStack {
  stack: StackModule;
  brokers: string[];
  esUrl: string;
  /** Stops every process of the private stack and deletes its directory. */
  stop: () => Promise<void>;
}

/** Where private stacks live: one directory per test file and test process. */
export const PRIVATE_STACKS = join(ROOT, '.stack-faults');

/**
 * Stops and removes private stacks whose test process is gone (a run that was killed before
 * its afterAll), so their Kafka and Elasticsearch processes do not linger.
 */
function reapStalePrivateStacks(): void {
  let entries: string[] = [];
  try {
    entries = readdirSync(PRIVATE_STACKS);
  } catch {
    return;
  }
  for (const entry of entries) {
    const pid = Number(/-(\d+)$/.exec(entry)?.[1]);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      process.kill(pid, 0);
      continue; // its test process still runs
    } catch {
      /* gone */
    }
    const dir = join(PRIVATE_STACKS, entry);
    spawnSync(join(ROOT, 'node_modules', '.bin', 'tsx'), [join(ROOT, 'scripts', 'stack', 'cli.ts'), 'down'], { env: { ...process.env, SLUICE_STACK_DIR: dir }, stdio: 'ignore' });
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Starts a clean stack of its own in `.stack-faults/<name>-<pid>` and points KAFKA_BROKERS /
 * ES_URL of this test process at it. For test files that stop Elasticsearch or kill brokers:
 * vitest (pool "forks") runs each file in its own process, so neither the stack nor the
 * variables are shared with other files, and the pid keeps two concurrent test runs (two
 * developers, or a developer and CI on one machine) apart. `stop()` stops it and deletes it.
 */
export async function privateStack(name: string, opts: { brokers?: number; esHeap?: string; kafkaHeap?: string } = {}): Promise<PrivateStack> {
  reapStalePrivateStacks();
  const dir = join(PRIVATE_STACKS, `${name}-${process.pid}`);
  process.env.SLUICE_STACK_DIR = dir;
  if (opts.esHeap) process.env.SLUICE_STACK_ES_HEAP = opts.esHeap;
  if (opts.kafkaHeap) process.env.SLUICE_STACK_KAFKA_HEAP = opts.kafkaHeap;
  const stack: StackModule = await import('../../scripts/stack/index.js');
  if (stack.stackPaths.root !== dir) {
    throw new Error(`scripts/stack was imported before privateStack() (it uses ${stack.stackPaths.root})`);
  }
  const log = (m: string) => console.error(`[${name}] ${m}`);
  const stop = async () => {
    await stack.stopStack().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  };
  let info: Awaited<ReturnType<StackModule['ensureStack']>>;
  for (let attempt = 1; ; attempt++) {
    try {
      info = await stack.ensureStack({ brokers: opts.brokers ?? 1, useEnv: false, log });
      break;
    } catch (err) {
      log(`starting the private stack failed (attempt ${attempt}): ${(err as Error).message}`);
      if (attempt >= 3) {
        await stop();
        throw err;
      }
      await sleep(3000);
    }
  }
  process.env.KAFKA_BROKERS = info.kafkaBrokers.join(',');
  process.env.ES_URL = info.esUrl;
  return { stack, brokers: info.kafkaBrokers, esUrl: info.esUrl, stop };
}

// ------------------------------------------------------------------------------- producing

/** A kafkajs client for the current KAFKA_BROKERS that rides out a broker being down (more retries than kafkajs' 5). */
export function kafkaClient(clientId = 'sluice-faults') {
  return new kafkajs.Kafka({
    clientId,
    brokers: services().brokers,
    logLevel: kafkajs.logLevel.NOTHING,
    retry: { retries: 30, initialRetryTime: 300, maxRetryTime: 5000 },
  });
}

/**
 * Produces `count` records with kafkajs in batches (gzip), `concurrency` batches in flight.
 * `value(i)` gives record i; with `partitions`, record i goes to partition i % partitions (so
 * each partition gets them in increasing i), with `partitionOf` wherever it says.
 */
export async function produce(
  topic: string,
  count: number,
  value: (i: number) => string | Buffer,
  opts: {
    batch?: number;
    partitions?: number;
    partitionOf?: (i: number) => number;
    concurrency?: number;
    compression?: kafkajs.CompressionTypes;
    key?: (i: number) => string | null;
    /** Idempotent producer (no duplicates when a broker fails mid-send; one request in flight per broker). */
    idempotent?: boolean;
    /** Use this connected producer (left connected) instead of a new one. */
    producer?: kafkajs.Producer;
  } = {},
): Promise<void> {
  registerCompressionCodecs();
  const producer = opts.producer ?? kafkaClient('sluice-faults-producer').producer({ allowAutoTopicCreation: false, ...(opts.idempotent ? { idempotent: true, maxInFlightRequests: 1 } : {}) });
  if (!opts.producer) await producer.connect();
  const batch = opts.batch ?? 2000;
  const compression = opts.compression ?? kafkajs.CompressionTypes.GZIP;
  const concurrency = opts.concurrency ?? 4;
  try {
    let next = 0;
    const worker = async () => {
      for (;;) {
        const start = next;
        if (start >= count) return;
        next = Math.min(count, start + batch);
        // One send per partition: a kafkajs send that spans several leaders can lose records
        // when a leader dies mid-send (tulios/kafkajs#1303), which would blame sluice for the
        // test producer's loss.
        const byPartition = new Map<number | undefined, kafkajs.Message[]>();
        for (let i = start; i < next; i++) {
          const partition = opts.partitionOf ? opts.partitionOf(i) : opts.partitions ? i % opts.partitions : undefined;
          let list = byPartition.get(partition);
          if (!list) byPartition.set(partition, (list = []));
          list.push({ value: value(i), key: opts.key?.(i) ?? null, ...(partition === undefined ? {} : { partition }) });
        }
        for (const messages of byPartition.values()) await producer.send({ topic, acks: -1, compression, messages });
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
  } finally {
    if (!opts.producer) await producer.disconnect();
  }
}

/** Produces from a background loop at `ratePerSec` until stopped; resolves to the count sent. */
export function produceSteadily(topic: string, ratePerSec: number, value: (i: number) => string, opts: { tickMs?: number } = {}) {
  const tickMs = opts.tickMs ?? 100;
  let stopped = false;
  let sent = 0;
  const done = (async () => {
    registerCompressionCodecs();
    const producer = kafkaClient('sluice-faults-steady').producer({ allowAutoTopicCreation: false });
    await producer.connect();
    const started = Date.now();
    try {
      while (!stopped) {
        const due = Math.floor(((Date.now() - started) / 1000) * ratePerSec);
        if (due > sent) {
          const messages = [];
          for (let i = sent; i < due; i++) messages.push({ value: value(i) });
          await producer.send({ topic, acks: -1, messages });
          sent = due;
        }
        await new Promise((r) => setTimeout(r, tickMs));
      }
    } finally {
      await producer.disconnect();
    }
    return sent;
  })();
  return {
    stop: async () => {
      stopped = true;
      return done;
    },
    get sent() {
      return sent;
    },
  };
}

// ------------------------------------------------------------------------------- pipelines

export interface PipelineOptions {
  id: string;
  topic: string;
  groupId: string;
  index: string;
  codec?: 'plain' | 'json';
  filters?: unknown[];
  input?: Record<string, unknown>;
  output?: Record<string, unknown>;
  deadLetter?: Record<string, unknown>;
  limits?: Record<string, unknown>;
}

/** Writes a pipeline file reading `${KAFKA_BROKERS}` and `${ES_URL}` and returns its path. */
export function writePipeline(dir: string, o: PipelineOptions): string {
  const file = join(dir, `${o.id}.json`);
  writeFileSync(
    file,
    JSON.stringify(
      {
        id: o.id,
        input: { kafka: { brokers: ['${KAFKA_BROKERS}'], topics: [o.topic], groupId: o.groupId, codec: o.codec ?? 'plain', ...o.input } },
        filters: o.filters ?? [],
        output: { elasticsearch: { nodes: ['${ES_URL}'], index: o.index, ...o.output } },
        ...(o.deadLetter ? { deadLetter: o.deadLetter } : {}),
        ...(o.limits ? { limits: o.limits } : {}),
      },
      null,
      2,
    ),
  );
  return file;
}

/** Runs `bin/sluice run` against the current KAFKA_BROKERS / ES_URL (no HTTP listener). */
export function runSluice(paths: string[], env: Record<string, string> = {}): Running {
  return startSluice(['run', ...paths], {
    KAFKA_BROKERS: services().brokers.join(','),
    ES_URL: services().esUrl,
    SLUICE_HTTP_PORT: '0',
    // SLUICE_FAULTS_LOG_LEVEL=debug (or trace, with KAFKAJS_LOG_LEVEL=debug for kafkajs' own
    // debug lines) for a closer look; saveLogs() keeps them.
    SLUICE_LOG_LEVEL: process.env.SLUICE_FAULTS_LOG_LEVEL ?? 'info',
    ...env,
  });
}

/** Writes each process's output to a new temporary directory and returns its path. */
export function saveLogs(procs: Running[], label: string): string {
  const dir = mkdtempSync(join(tmpdir(), `sluice-${label}-logs-`));
  procs.forEach((p, i) => writeFileSync(join(dir, `sluice-${i}-pid${p.child.pid}.log`), p.output()));
  return dir;
}

/** SIGTERM, and the exit code (after at most `timeoutMs`, else SIGKILL and throw). */
export async function stopSluice(proc: Running, timeoutMs = 60_000): Promise<number | null> {
  if (proc.child.exitCode !== null || proc.child.signalCode !== null) return proc.child.exitCode;
  proc.child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), timeoutMs)));
  const r = await Promise.race([proc.exited, timeout]);
  clearTimeout(timer);
  if (r === 'timeout') {
    proc.child.kill('SIGKILL');
    throw new Error(`sluice did not stop within ${timeoutMs} ms after SIGTERM:\n${proc.output().slice(-3000)}`);
  }
  return r.code;
}

/** The JSON log lines of a sluice process (non-JSON lines skipped). */
export function logLines(proc: Running): Record<string, any>[] {
  const out: Record<string, any>[] = [];
  for (const line of proc.output().split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      out.push(JSON.parse(line));
    } catch {
      /* a partial last line */
    }
  }
  return out;
}

export function countLogs(proc: Running, msg: string | RegExp): number {
  return logLines(proc).filter((l) => (typeof msg === 'string' ? l.msg === msg : msg.test(String(l.msg)))).length;
}

// ------------------------------------------------------------------------------- /proc

export { procStats, type ProcStats } from './proc.js';

/** Samples RSS of a process every `intervalMs` until stopped: memory over time. */
export function sampleRss(pid: number, intervalMs = 2000) {
  const started = Date.now();
  const samples: { t: number; rss: number }[] = [];
  const tick = () => {
    const s = procStats(pid);
    if (s) samples.push({ t: Math.round((Date.now() - started) / 1000), rss: s.rss });
  };
  tick();
  const timer = setInterval(tick, intervalMs);
  timer.unref();
  return {
    samples,
    stop: () => clearInterval(timer),
  };
}

export const mib = (bytes: number) => `${(bytes / 1048576).toFixed(1)} MiB`;

// ------------------------------------------------------------------------------- checks

/** Waits until the group committed every record of the topic (lag 0 on every partition). */
export async function waitForLag0(groupId: string, topic: string, timeoutMs: number, what = `group ${groupId} to catch up on ${topic}`): Promise<void> {
  const { groupLag } = await import('./services.js');
  await waitFor(what, async () => (await groupLag(groupId, topic)) === 0, timeoutMs, 1000);
}

/**
 * Ids in `actual` that are duplicated, missing from `expected`, or unexpected: empty lists
 * mean "every expected id exactly once". Reports at most a few of each.
 */
export function diffIds(expected: string[], actual: string[]) {
  const want = new Set(expected);
  const seen = new Map<string, number>();
  for (const id of actual) seen.set(id, (seen.get(id) ?? 0) + 1);
  const duplicated = [...seen].filter(([, n]) => n > 1).map(([id]) => id);
  const unexpected = [...seen.keys()].filter((id) => !want.has(id));
  const missing = expected.filter((id) => !seen.has(id));
  return { duplicated: duplicated.slice(0, 20), missing: missing.slice(0, 20), unexpected: unexpected.slice(0, 20), counts: { duplicated: duplicated.length, missing: missing.length, unexpected: unexpected.length } };
}

/** Deletes test indices (keeps the shared stack's disk small). */
export async function deleteIndices(pattern: string): Promise<void> {
  await es(`/${pattern}?expand_wildcards=all&allow_no_indices=true&ignore_unavailable=true`, { method: 'DELETE' }).catch(() => undefined);
}

/** Index settings for test indices: one shard, no replica (green on one node), 1 s refresh. */
export async function indexTemplate(name: string, pattern: string, mappings?: Record<string, unknown>): Promise<void> {
  await es(`/_index_template/${name}`, {
    method: 'PUT',
    body: { index_patterns: [pattern], template: { settings: { number_of_shards: 1, number_of_replicas: 0 }, ...(mappings ? { mappings } : {}) } },
  });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function elapsed(since: number): string {
  return `${((Date.now() - since) / 1000).toFixed(1)} s`;
}

// ------------------------------------------------------------------------------- dead letters

/** Every `sluice.dlq.*` header of the design notes ("Dead-letter records"), es.* only for es_rejected. */
export const DLQ_HEADERS = [
  'sluice.dlq.reason',
  'sluice.dlq.error',
  'sluice.dlq.stage',
  'sluice.dlq.pipeline',
  'sluice.dlq.source.topic',
  'sluice.dlq.source.partition',
  'sluice.dlq.source.offset',
  'sluice.dlq.source.timestamp',
  'sluice.dlq.failed_at',
  'sluice.dlq.attempt',
];
export const DLQ_ES_HEADERS = ['sluice.dlq.es.status', 'sluice.dlq.es.type', 'sluice.dlq.es.index'];

export interface ConsoleRecord {
  headers: Record<string, string>;
  key: string;
  value: string;
}

/**
 * One line of the Kafka console consumer run with print.headers and print.key
 * (`k:v,k:v<TAB>key<TAB>value`). Header values may hold commas and colons (error texts),
 * so the header list is split only before the names we know: every `sluice.dlq.*` one and
 * `otherHeaders`.
 */
export function parseConsoleRecord(line: string, otherHeaders: string[] = []): ConsoleRecord {
  const t1 = line.indexOf('\t');
  const t2 = line.indexOf('\t', t1 + 1);
  const rawHeaders = line.slice(0, t1);
  const key = line.slice(t1 + 1, t2);
  const value = line.slice(t2 + 1);
  const headers: Record<string, string> = {};
  if (rawHeaders !== 'NO_HEADERS') {
    const names = ['sluice\\.dlq\\.[a-z_.]+', ...otherHeaders.map((h) => h.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))].join('|');
    for (const part of rawHeaders.split(new RegExp(`,(?=(?:${names}):)`))) {
      const c = part.indexOf(':');
      headers[part.slice(0, c)] = part.slice(c + 1);
    }
  }
  return { headers, key, value };
}

/**
 * waitFor, but a timeout shows the end of each sluice process's output, and a process that
 * exits on its own (crash) fails the wait at once.
 */
export async function waitWithLogs(procs: Running[], what: string, check: () => Promise<boolean> | boolean, timeoutMs: number, intervalMs = 500): Promise<void> {
  const alive = (p: Running) => p.child.exitCode === null && p.child.signalCode === null;
  const live = procs.filter(alive);
  const deadline = Date.now() + timeoutMs;
  let problem: string | undefined;
  let lastError: unknown;
  for (;;) {
    const dead = live.find((p) => !alive(p));
    if (dead) {
      problem = `sluice (pid ${dead.child.pid}) exited (code ${dead.child.exitCode}, signal ${dead.child.signalCode}) while waiting for ${what}`;
      break;
    }
    try {
      if (await check()) return;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      problem = `timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${(lastError as Error).message}` : ''}`;
      break;
    }
    await sleep(intervalMs);
  }
  const logs = saveLogs(procs, 'fault');
  const tails = procs.map((p) => `--- sluice pid ${p.child.pid}, last lines:\n${p.output().split('\n').slice(-40).join('\n')}`).join('\n');
  throw new Error(`${problem}\nwhole outputs in ${logs}\n${tails}`);
}

/**
 * Creates a topic and waits until every partition has a leader that answers metadata.
 * (kafkajs' own `waitForLeaders` gives up when a broker of a fresh multi-broker cluster does
 * not know the topic yet: "This server does not host this topic-partition".)
 */
export async function createTopicReady(topic: string, partitions: number, replicationFactor = 1, configEntries: { name: string; value: string }[] = []): Promise<void> {
  const admin = kafkaClient().admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: partitions, replicationFactor, configEntries }], waitForLeaders: false });
    await waitFor(
      `leaders for every partition of ${topic}`,
      async () => {
        const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
        return topics[0]?.partitions.length === partitions && topics[0].partitions.every((p) => p.leader >= 0);
      },
      60_000,
      250,
    );
  } finally {
    await admin.disconnect();
  }
}
