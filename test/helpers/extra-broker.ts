/**
 * One extra, throw-away Kafka broker (KRaft, broker+controller, its own cluster) for tests
 * that need a broker configured differently from the shared local stack, e.g. one that
 * advertises an address clients cannot reach. It runs the same downloaded Kafka as the stack
 * (the classpath scripts/stack resolved), as a child of the test process, in a temp dir.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { JAVA } from '../../scripts/stack/toolchain.js';
import { currentKafkaVersion } from '../../scripts/stack/kafka-versions.js';
import { resolveKafkaClasspath } from '../../scripts/stack/kafka.js';
import { waitFor } from './services.js';
import { freePort } from './ports.js';
import { fetchClusterMetadata } from '../../src/inputs/kafka/diagnostics.js';

export { freePort } from './ports.js';

export interface ExtraListener {
  /** Listener name, e.g. PLAINTEXT or EXTERNAL. */
  name: string;
  /** What the broker advertises for it (`host:port`); default: where it listens. */
  advertised?: string;
  /** Port to listen on (127.0.0.1); default: a free one. */
  port?: number;
}

export interface ExtraBroker {
  /** `127.0.0.1:<port>` where each listener really listens, by listener name. */
  bootstrap: Record<string, string>;
  nodeId: number;
  output: () => string;
  stop: () => Promise<void>;
}

/**
 * Starts a single-node KRaft cluster whose listeners advertise what `listeners` say, and
 * waits until it answers metadata requests. The first listener is the inter-broker one.
 */
export async function startExtraBroker(listeners: ExtraListener[], extraProps: Record<string, string | number> = {}): Promise<ExtraBroker> {
  const classpath = await resolveKafkaClasspath(currentKafkaVersion());
  const dir = mkdtempSync(join(tmpdir(), 'sluice-extra-broker-'));
  const nodeId = 1;
  const controllerPort = await freePort();
  const ports: Record<string, number> = {};
  for (const l of listeners) ports[l.name] = l.port ?? (await freePort());
  const props: Record<string, string | number> = {
    'process.roles': 'broker,controller',
    'node.id': nodeId,
    'controller.quorum.voters': `${nodeId}@127.0.0.1:${controllerPort}`,
    listeners: [...listeners.map((l) => `${l.name}://127.0.0.1:${ports[l.name]}`), `CONTROLLER://127.0.0.1:${controllerPort}`].join(','),
    'advertised.listeners': listeners.map((l) => `${l.name}://${l.advertised ?? `127.0.0.1:${ports[l.name]}`}`).join(','),
    'listener.security.protocol.map': [...listeners.map((l) => `${l.name}:PLAINTEXT`), 'CONTROLLER:PLAINTEXT'].join(','),
    'inter.broker.listener.name': listeners[0].name,
    'controller.listener.names': 'CONTROLLER',
    'log.dirs': join(dir, 'data'),
    'num.partitions': 1,
    'offsets.topic.replication.factor': 1,
    'offsets.topic.num.partitions': 1,
    'transaction.state.log.replication.factor': 1,
    'transaction.state.log.min.isr': 1,
    'group.initial.rebalance.delay.ms': 0,
    'num.network.threads': 1,
    'num.io.threads': 2,
    ...extraProps,
  };
  const propsFile = join(dir, 'server.properties');
  writeFileSync(propsFile, Object.entries(props).map(([k, v]) => `${k}=${v}`).join('\n') + '\n');
  const cp = classpath.join(delimiter);
  const jvm = ['-Xmx256m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-Djava.awt.headless=true', `-Dkafka.logs.dir=${join(dir, 'logs')}`];
  const clusterId = randomBytes(16).toString('base64url').replace(/^-/, 'A');
  const format = spawnSync(JAVA, [...jvm, '-cp', cp, 'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', propsFile, '--ignore-formatted'], { encoding: 'utf8' });
  if (format.status !== 0) throw new Error(`formatting the extra broker failed:\n${format.stdout}\n${format.stderr}`);

  let out = '';
  const child: ChildProcess = spawn(JAVA, [...jvm, '-cp', cp, 'kafka.Kafka', propsFile], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (d) => (out = (out + d).slice(-20_000)));
  child.stderr!.on('data', (d) => (out = (out + d).slice(-20_000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };

  const bootstrap: Record<string, string> = {};
  for (const l of listeners) bootstrap[l.name] = `127.0.0.1:${ports[l.name]}`;
  try {
    // Registered: a Metadata request to the first listener lists the broker (asked directly:
    // kafkajs would go on to the advertised address, which may be unreachable on purpose).
    const first = bootstrap[listeners[0].name].split(':');
    await waitFor(
      'the extra broker to register',
      async () => {
        if (child.exitCode !== null) throw new Error(`extra broker exited (${child.exitCode}):\n${out.slice(-3000)}`);
        const md = await fetchClusterMetadata(first[0], Number(first[1]), 2000);
        return md.brokers.some((b) => b.nodeId === nodeId);
      },
      120_000,
      500,
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return { bootstrap, nodeId, output: () => out, stop };
}
