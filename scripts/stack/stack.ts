/**
 * Orchestration of the local real-services stack: Kafka broker(s) + Elasticsearch, started
 * detached, health-checked, and described in .stack/env. Every operation that changes the
 * stack holds .stack/lock, so a test run and `npm run stack:up` never race each other.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ES_FLAVORS, paths, roles, type EsFlavor } from './paths.js';
import { runningPid } from './procs.js';
import { isPortFree, pickFreePorts, readState, writeEnvFile, writeState, type StackState } from './state.js';
import { checkJava, StackError } from './toolchain.js';
import { DEFAULT_KAFKA_VERSION, parseKafkaVersion, type KafkaVersion } from './kafka-versions.js';
import {
  brokerList,
  describeBrokers,
  newClusterId,
  prepareNode,
  probeTopicRoundTrip,
  resolveKafkaClasspath,
  stackKafkaVersion,
  spawnBroker,
  stopBroker,
  waitForBrokers,
} from './kafka.js';
import { esHealth, esUrl, prepareElasticsearch, spawnElasticsearch, stopEs, waitForEs } from './elasticsearch.js';

export interface EnsureStackOptions {
  /** Number of Kafka nodes. Default: the count the existing stack data was made with, else 1. */
  brokers?: number;
  /** Stop everything and wipe Kafka and Elasticsearch data first. */
  clean?: boolean;
  /**
   * Search engine: '7' (Elasticsearch 7.17), '8' (8.19), '9' (9.x, Java 21+) or 'opensearch'
   * (2.19). Default: SLUICE_STACK_ES, else the one the stack last ran, else '8'. Asking for
   * another one than the running one restarts it (each keeps its own data).
   */
  es?: EsFlavor;
  /**
   * Kafka major: '4' (4.x) or '3' (3.9). Default: SLUICE_STACK_KAFKA, else the one the stack's
   * data was made with, else '4'. Another one than the stack's re-creates the Kafka data.
   */
  kafka?: KafkaVersion;
  /** Use KAFKA_BROKERS and ES_URL from the environment when both are set (default true). */
  useEnv?: boolean;
  /** Progress messages (default: none). The CLI passes console.error. */
  log?: (msg: string) => void;
  /**
   * Register this process as a user of the local stack until it exits (registerStackUser), so
   * a test run ending meanwhile neither prunes what it made nor stops the stack. For the
   * benchmarks and perf tools; the test runs' global setup registers itself, earlier.
   */
  asUser?: boolean;
}

export interface StackInfo {
  kafkaBrokers: string[];
  esUrl: string;
  /** True when this call started at least one process (the caller may then stop the stack). */
  started: boolean;
}

// ----------------------------------------------------------------------------------------
// Lock

let lockDepth = 0;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Runs `fn` holding .stack/lock (re-entrant within this process). */
async function withLock<T>(fn: () => Promise<T>, log: (m: string) => void = () => {}): Promise<T> {
  if (lockDepth > 0) {
    lockDepth++;
    try {
      return await fn();
    } finally {
      lockDepth--;
    }
  }
  fs.mkdirSync(paths.root, { recursive: true });
  const deadline = Date.now() + 20 * 60_000; // a cold start may download for minutes
  let told = false;
  for (;;) {
    try {
      const fd = fs.openSync(paths.lockFile, 'wx');
      fs.writeSync(fd, `${process.pid}\n`);
      fs.closeSync(fd);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = Number.parseInt(fs.readFileSync(paths.lockFile, 'utf8').trim(), 10);
      if (!Number.isInteger(holder) || !pidAlive(holder)) {
        fs.rmSync(paths.lockFile, { force: true }); // stale: its holder died
        continue;
      }
      if (Date.now() > deadline) throw new StackError(`timed out waiting for ${paths.lockFile} (held by pid ${holder})`);
      if (!told) {
        log(`waiting for another stack operation (pid ${holder}) to finish...`);
        told = true;
      }
      await sleep(250);
    }
  }
  lockDepth = 1;
  try {
    return await fn();
  } finally {
    lockDepth = 0;
    fs.rmSync(paths.lockFile, { force: true });
  }
}

// ----------------------------------------------------------------------------------------
// Helpers

/** The Elasticsearch flavor asked for explicitly (option, else SLUICE_STACK_ES), if any. */
function requestedFlavor(explicit?: EsFlavor): EsFlavor | undefined {
  const value = explicit ?? (process.env.SLUICE_STACK_ES?.trim() || undefined);
  if (value === undefined) return undefined;
  if (!ES_FLAVORS.includes(value as EsFlavor)) {
    throw new StackError(`Elasticsearch version must be one of ${ES_FLAVORS.join(', ')} (got ${value})`);
  }
  return value as EsFlavor;
}

/** The Kafka version asked for through SLUICE_STACK_KAFKA, if any. */
function requestedKafka(): KafkaVersion | undefined {
  try {
    return parseKafkaVersion(process.env.SLUICE_STACK_KAFKA, 'SLUICE_STACK_KAFKA');
  } catch (err) {
    throw new StackError((err as Error).message);
  }
}

function kafkaIds(state: StackState): number[] {
  return state.kafka ? Object.keys(state.kafka.nodes).map(Number).sort((a, b) => a - b) : [];
}

/** Kafka node ids that have a pid file (also ones no longer in state.json). */
function kafkaRolesOnDisk(): number[] {
  try {
    return fs
      .readdirSync(paths.pids)
      .map((f) => /^kafka-(\d+)\.pid$/.exec(f)?.[1])
      .filter((x): x is string => x !== undefined)
      .map(Number);
  } catch {
    return [];
  }
}

async function stopAllProcesses(log: (m: string) => void): Promise<void> {
  const ids = [...new Set([...kafkaIds(readState()), ...kafkaRolesOnDisk()])];
  const results = await Promise.all([
    stopEs().then((r) => ['elasticsearch', r] as const),
    ...ids.map((id) => stopBroker(id).then((r) => [roles.kafka(id), r] as const)),
  ]);
  for (const [role, r] of results) if (r !== 'not-running') log(`${role}: ${r}`);
}

/** Picks new ports for whatever has none yet or whose recorded port is now taken by others. */
async function allocatePorts(state: StackState, brokers: number, kafkaVersion: KafkaVersion, log: (m: string) => void): Promise<void> {
  const used = (): number[] => [
    ...(state.es ? [state.es.httpPort, state.es.transportPort] : []),
    ...Object.values(state.kafka?.nodes ?? {}).flatMap((n) => [n.port, n.controllerPort]),
  ];
  if (!state.kafka) {
    const nodes: Record<string, { port: number; controllerPort: number }> = {};
    const ports = await pickFreePorts(brokers * 2, used());
    for (let id = 1; id <= brokers; id++) nodes[id] = { port: ports[(id - 1) * 2]!, controllerPort: ports[(id - 1) * 2 + 1]! };
    state.kafka = { brokers, clusterId: newClusterId(), nodes, version: kafkaVersion };
  } else if (kafkaIds(state).every((id) => runningPid(roles.kafka(id)) === undefined)) {
    // Nothing of Kafka runs: every recorded port must be bindable. Static quorum voters are
    // read from server.properties (rewritten on each start), so ports may move when needed.
    for (const [id, node] of Object.entries(state.kafka.nodes)) {
      for (const key of ['port', 'controllerPort'] as const) {
        if (!(await isPortFree(node[key]))) {
          const [p] = await pickFreePorts(1, used());
          log(`kafka node ${id}: ${key} ${node[key]} is taken by another program, using ${p} instead`);
          node[key] = p!;
        }
      }
    }
  }
  if (!state.es) {
    const [httpPort, transportPort] = await pickFreePorts(2, used());
    state.es = { httpPort: httpPort!, transportPort: transportPort! };
  } else if (runningPid(roles.es) === undefined) {
    for (const key of ['httpPort', 'transportPort'] as const) {
      if (!(await isPortFree(state.es[key]))) {
        const [p] = await pickFreePorts(1, used());
        log(`elasticsearch: ${key} ${state.es[key]} is taken by another program, using ${p} instead`);
        state.es[key] = p!;
      }
    }
  }
}

function info(state: StackState, started: boolean): StackInfo {
  return { kafkaBrokers: brokerList(state.kafka!), esUrl: esUrl(state.es!), started };
}

// ----------------------------------------------------------------------------------------
// Public API

/**
 * Makes sure a Kafka cluster and an Elasticsearch node are up and healthy, starting only
 * what is not running, and returns where they are. With KAFKA_BROKERS and ES_URL both set
 * in the environment it starts nothing and returns those.
 */
export async function ensureStack(opts: EnsureStackOptions = {}): Promise<StackInfo> {
  const log = opts.log ?? (() => {});
  if (opts.asUser) process.once('exit', registerStackUser());
  const envBrokers = process.env.KAFKA_BROKERS?.trim();
  const envEs = process.env.ES_URL?.trim();
  if ((opts.useEnv ?? true) && envBrokers && envEs) {
    return { kafkaBrokers: envBrokers.split(',').map((s) => s.trim()).filter(Boolean), esUrl: envEs.replace(/\/+$/, ''), started: false };
  }
  if (opts.brokers !== undefined && (!Number.isInteger(opts.brokers) || opts.brokers < 1 || opts.brokers > 9)) {
    throw new StackError(`--brokers must be an integer from 1 to 9 (got ${opts.brokers})`);
  }
  const askedFlavor = requestedFlavor(opts.es);
  const askedKafka = opts.kafka ?? requestedKafka();

  return withLock(async () => {
    const state = readState();

    if (opts.clean) {
      checkJava(); // fail before wiping anything
      await stopAllProcesses(log);
      log('wiping Kafka and Elasticsearch data...');
      fs.rmSync(paths.kafka, { recursive: true, force: true });
      for (const flavor of ES_FLAVORS) fs.rmSync(paths.es(flavor), { recursive: true, force: true });
      fs.rmSync(paths.logs, { recursive: true, force: true });
      fs.rmSync(paths.envFile, { force: true });
      // Same ports as before (so addresses stay stable), but a new Kafka cluster id.
      if (state.kafka) state.kafka.clusterId = newClusterId();
    }

    const requested = opts.brokers ?? state.kafka?.brokers ?? 1;
    const kafkaVersion: KafkaVersion = askedKafka ?? (state.kafka ? stackKafkaVersion(state.kafka) : DEFAULT_KAFKA_VERSION);
    if (state.kafka && stackKafkaVersion(state.kafka) !== kafkaVersion) {
      const ids = [...new Set([...kafkaIds(state), ...kafkaRolesOnDisk()])];
      await Promise.all(ids.map((id) => stopBroker(id)));
      log(`switching Kafka from ${stackKafkaVersion(state.kafka)}.x to ${kafkaVersion}.x: re-creating its data`);
      fs.rmSync(paths.kafka, { recursive: true, force: true });
      state.kafka = { ...state.kafka, clusterId: newClusterId(), version: kafkaVersion };
    }
    if (state.kafka && state.kafka.brokers !== requested) {
      const running = kafkaIds(state).filter((id) => runningPid(roles.kafka(id)) !== undefined);
      if (running.length > 0) {
        throw new StackError(
          `the local stack runs ${state.kafka.brokers} Kafka broker(s); ${requested} were requested. ` +
            `Run \`npm run stack:down\` first, or \`npm run stack:up -- --brokers ${requested} --clean\`.`,
        );
      }
      log(`Kafka data was made for ${state.kafka.brokers} broker(s); re-creating it for ${requested}`);
      fs.rmSync(paths.kafka, { recursive: true, force: true });
      delete state.kafka;
    }

    const flavor: EsFlavor = askedFlavor ?? state.es?.flavor ?? '8';
    if (state.es && runningPid(roles.es) !== undefined && (state.es.flavor ?? '7') !== flavor) {
      log(`switching Elasticsearch from ${state.es.flavor ?? '7'} to ${flavor} (each keeps its own data)`);
      await stopEs();
    }

    // Fast path: everything already runs and answers.
    if (state.kafka && state.es) {
      const ids = kafkaIds(state);
      const allRunning = runningPid(roles.es) !== undefined && ids.every((id) => runningPid(roles.kafka(id)) !== undefined);
      if (allRunning) {
        const [seen, health] = await Promise.all([describeBrokers(brokerList(state.kafka)), esHealth(esUrl(state.es), 5)]);
        if (ids.every((id) => seen.includes(id)) && health && health.status !== 'red') {
          writeEnvFile(brokerList(state.kafka), esUrl(state.es));
          return info(state, false);
        }
      }
    }

    checkJava();
    await allocatePorts(state, requested, kafkaVersion, log);
    writeState(state);
    const kafka = state.kafka!;
    const es = state.es!;
    const ids = kafkaIds(state);

    const kafkaToStart = ids.filter((id) => runningPid(roles.kafka(id)) === undefined);
    const esToStart = runningPid(roles.es) === undefined;

    // Maven runs one at a time: two concurrent resolutions could write the same files in ~/.m2.
    const kafkaClasspath = await resolveKafkaClasspath(kafkaVersion, log);
    if (esToStart) await prepareElasticsearch(flavor, log);

    if (kafkaToStart.length > 0) {
      await Promise.all(kafkaToStart.map((id) => prepareNode(kafka, id, kafkaClasspath)));
      for (const id of kafkaToStart) {
        const pid = spawnBroker(kafka, id, kafkaClasspath);
        log(`kafka ${kafkaVersion}.x node ${id}: started (pid ${pid}) on 127.0.0.1:${kafka.nodes[id]!.port}`);
      }
    }
    if (esToStart) {
      const pid = await spawnElasticsearch(es, flavor, {}, log);
      es.flavor = flavor;
      writeState(state);
      fs.writeFileSync(path.join(paths.es(flavor), 'extra-settings.json'), '{}\n');
      log(`${flavor === 'opensearch' ? 'opensearch' : `elasticsearch ${flavor}`}: started (pid ${pid}) on ${esUrl(es)}`);
    }

    log('waiting for Kafka and Elasticsearch to become healthy...');
    await Promise.all([
      waitForBrokers(kafka, ids).then(() => probeTopicRoundTrip(brokerList(kafka), Math.min(3, ids.length))),
      waitForEs(es),
    ]);
    writeEnvFile(brokerList(kafka), esUrl(es));
    return info(state, kafkaToStart.length > 0 || esToStart);
  }, log);
}

// ----------------------------------------------------------------------------------------
// Users: several test runs (or a test run and the demo) may share one stack. Each registers
// itself, and one that started the stack stops it at the end only if nobody else uses it.

function usersDir(): string {
  return path.join(paths.root, 'users');
}

/** Registers this process as a user of the stack; call the returned function when done. */
export function registerStackUser(): () => void {
  fs.mkdirSync(usersDir(), { recursive: true });
  const file = path.join(usersDir(), String(process.pid));
  fs.writeFileSync(file, `${new Date().toISOString()}\n`);
  return () => fs.rmSync(file, { force: true });
}

/** Pids of other live processes registered as users of the stack. */
export function otherStackUsers(): number[] {
  let entries: string[] = [];
  try {
    entries = fs.readdirSync(usersDir());
  } catch {
    return [];
  }
  const live: number[] = [];
  for (const name of entries) {
    const pid = Number(name);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    if (pidAlive(pid)) live.push(pid);
    else fs.rmSync(path.join(usersDir(), name), { force: true });
  }
  return live;
}

/**
 * Downloads (into ~/.m2) and compiles everything the stack needs without starting it, so a
 * CI step can separate "download" from "test". `es` as for ensureStack, or 'all'.
 */
export async function fetchStack(opts: { es?: EsFlavor | 'all'; kafka?: KafkaVersion | 'all'; log?: (m: string) => void } = {}): Promise<void> {
  const log = opts.log ?? (() => {});
  const flavors: EsFlavor[] =
    opts.es === 'all' ? [...ES_FLAVORS] : [requestedFlavor(opts.es) ?? readState().es?.flavor ?? '8'];
  const kafkaVersions: KafkaVersion[] =
    opts.kafka === 'all' ? ['4', '3'] : [opts.kafka ?? requestedKafka() ?? (readState().kafka ? stackKafkaVersion(readState().kafka!) : DEFAULT_KAFKA_VERSION)];
  await withLock(async () => {
    checkJava();
    for (const version of kafkaVersions) await resolveKafkaClasspath(version, log);
    for (const flavor of flavors) {
      try {
        await prepareElasticsearch(flavor, log);
      } catch (err) {
        // `--es all` on a machine without a JDK 21+: fetch the rest; starting ES 9 will say why it cannot.
        if (opts.es === 'all' && flavor === '9' && err instanceof StackError) log(`skipping Elasticsearch 9: ${err.message}`);
        else throw err;
      }
    }
  }, log);
}

/** Stops every process of the local stack (data is kept) and removes .stack/env. */
export async function stopStack(opts: { log?: (m: string) => void } = {}): Promise<void> {
  const log = opts.log ?? (() => {});
  await withLock(async () => {
    await stopAllProcesses(log);
    fs.rmSync(paths.envFile, { force: true });
  }, log);
}

/** Stops the Elasticsearch node cleanly (SIGTERM), keeping its data. */
export async function stopElasticsearch(opts: { signal?: 'SIGTERM' | 'SIGKILL' } = {}): Promise<void> {
  await withLock(async () => {
    await stopEs(opts.signal);
  });
}

/**
 * Starts Elasticsearch on the same data and port and waits until it is healthy. If it runs
 * with different extra settings it is restarted with these. Extra settings are node settings,
 * e.g. `{ 'thread_pool.write.size': '1', 'thread_pool.write.queue_size': '2' }` to get
 * real 429 rejections. Returns the URL.
 */
export async function startElasticsearch(extraSettings: Record<string, string> = {}): Promise<string> {
  return withLock(async () => {
    const state = readState();
    if (!state.es) throw new StackError('the local stack was never started: run ensureStack() / `npm run stack:up` first');
    const flavor = state.es.flavor ?? '7';
    const settingsFile = path.join(paths.es(flavor), 'extra-settings.json');
    const wanted = JSON.stringify(extraSettings);
    let current: string | undefined;
    try {
      current = JSON.stringify(JSON.parse(fs.readFileSync(settingsFile, 'utf8')));
    } catch {
      current = undefined;
    }
    if (runningPid(roles.es) !== undefined && current !== wanted) await stopEs();
    if (runningPid(roles.es) === undefined) {
      checkJava();
      if (!(await isPortFree(state.es.httpPort)) || !(await isPortFree(state.es.transportPort))) {
        throw new StackError(`Elasticsearch ports ${state.es.httpPort}/${state.es.transportPort} are taken by another program`);
      }
      await spawnElasticsearch(state.es, flavor, extraSettings);
      fs.writeFileSync(settingsFile, wanted + '\n');
    }
    await waitForEs(state.es);
    return esUrl(state.es);
  });
}

/** Kills Kafka node `nodeId` (SIGKILL by default: a crash; pass SIGTERM for a clean stop). */
export async function killBroker(nodeId: number, opts: { signal?: 'SIGTERM' | 'SIGKILL' } = {}): Promise<void> {
  await withLock(async () => {
    await stopBroker(nodeId, opts.signal ?? 'SIGKILL');
  });
}

/** (Re)starts Kafka node `nodeId` and waits until the cluster lists it again. */
export async function startBroker(nodeId: number): Promise<void> {
  await withLock(async () => {
    const state = readState();
    if (!state.kafka?.nodes[nodeId]) throw new StackError(`no Kafka node ${nodeId} in the local stack`);
    if (runningPid(roles.kafka(nodeId)) === undefined) {
      checkJava();
      const classpath = await resolveKafkaClasspath(stackKafkaVersion(state.kafka));
      await prepareNode(state.kafka, nodeId, classpath);
      spawnBroker(state.kafka, nodeId, classpath);
    }
    await waitForBrokers(state.kafka, [nodeId]);
  });
}

export interface StackStatus {
  stackDir: string;
  kafka: { id: number; address: string; pid?: number; registered: boolean }[];
  elasticsearch?: { url: string; flavor: EsFlavor; pid?: number; status?: string; version?: string };
  env?: { KAFKA_BROKERS: string; ES_URL: string };
  healthy: boolean;
}

/** What runs, where, and whether it answers. Read-only: takes no lock. */
export async function stackStatus(): Promise<StackStatus> {
  const state = readState();
  const ids = kafkaIds(state);
  const seen = state.kafka && ids.some((id) => runningPid(roles.kafka(id)) !== undefined) ? await describeBrokers(brokerList(state.kafka)) : [];
  const kafka = ids.map((id) => ({
    id,
    address: `127.0.0.1:${state.kafka!.nodes[id]!.port}`,
    pid: runningPid(roles.kafka(id)),
    registered: seen.includes(id),
  }));
  let elasticsearch: StackStatus['elasticsearch'];
  if (state.es) {
    const pid = runningPid(roles.es);
    const health = pid !== undefined ? await esHealth(esUrl(state.es)) : undefined;
    elasticsearch = { url: esUrl(state.es), flavor: state.es.flavor ?? '7', pid, status: health?.status, version: health?.version };
  }
  const healthy =
    kafka.length > 0 &&
    kafka.every((k) => k.pid !== undefined && k.registered) &&
    elasticsearch?.pid !== undefined &&
    (elasticsearch.status === 'green' || elasticsearch.status === 'yellow');
  return {
    stackDir: paths.root,
    kafka,
    elasticsearch,
    env: healthy ? { KAFKA_BROKERS: kafka.map((k) => k.address).join(','), ES_URL: elasticsearch!.url } : undefined,
    healthy,
  };
}
