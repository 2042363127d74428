/**
 * One end-to-end run of `sluice run`, for profiling and A/B comparisons of a change: the
 * records wait in a topic (produced once, kept between runs), sluice consumes them in a fresh
 * group into a fresh index until all are searchable, then gets SIGTERM. Prints CPU seconds per
 * million events (whole process, /proc), events/s and peak RSS.
 *
 *   tsx scripts/perf/e2e-once.ts [--pipeline bench/peers/grok-date.json] [--records 200000]
 *        [--node /path/to/node] [--runs 1] [--] [node options, e.g. --cpu-prof --cpu-prof-dir=/tmp/prof]
 *
 * Uses the local stack (`npm run stack:up`). The topic is `perf-e2e-<records>` (4 partitions,
 * gzip batches, the Apache access-log corpus repeated, as `npm run bench -- peers` does).
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import kafkajs from 'kafkajs';
import { ensureStack, pruneRunLeftovers } from '../stack/index.js';
import { registerCompressionCodecs } from '../../src/inputs/kafka/compression.js';
import { procStats } from '../../test/helpers/proc.js';
import { heapCapForPaths } from '../../src/runtime/heap-cap.js';
import { capsItself, produceLines } from '../../bench/shared/produce.js';

const root = join(fileURLToPath(import.meta.url), '..', '..', '..');
const argv = process.argv.slice(2);
const dash = argv.indexOf('--');
const args = dash >= 0 ? argv.slice(0, dash) : argv;
const nodeOptions = dash >= 0 ? argv.slice(dash + 1) : [];
const opt = (name: string, dflt: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1] : dflt;
};
const pipeline = join(root, opt('pipeline', 'bench/peers/grok-date.json'));
const RECORDS = Number(opt('records', '200000'));
const RUNS = Number(opt('runs', '1'));
const node = opt('node', process.execPath);
const PARTITIONS = 4;

const stack = await ensureStack({ asUser: true, log: (m) => process.stderr.write(`[stack] ${m}\n`) });
const es = async (path: string, method = 'GET'): Promise<any> => {
  const res = await fetch(`${stack.esUrl}${path}`, { method });
  const text = await res.text();
  return text ? JSON.parse(text) : undefined;
};
const kafka = new kafkajs.Kafka({ clientId: 'perf-e2e', brokers: stack.kafkaBrokers, logLevel: kafkajs.logLevel.NOTHING });
registerCompressionCodecs();
const admin = kafka.admin();
await admin.connect();
const topic = `perf-e2e-${RECORDS}`;
if (!(await admin.listTopics()).includes(topic)) {
  const corpus = readFileSync(join(root, '..', 'shared', 'corpus', 'apache-access', 'access.log'), 'utf8').split('\n').filter(Boolean);
  await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS }], waitForLeaders: true });
  await produceLines(kafka, topic, corpus, RECORDS, PARTITIONS);
  process.stderr.write(`produced ${RECORDS} records to ${topic}\n`);
}
await admin.disconnect();

const cap = heapCapForPaths([pipeline]);
for (let run = 0; run < RUNS; run++) {
  const name = `perf-${Date.now().toString(36)}`;
  const env = {
    ...process.env,
    KAFKA_BROKERS: stack.kafkaBrokers.join(','),
    ES_URL: stack.esUrl,
    SLUICE_HTTP_PORT: '0',
    SLUICE_LOG_LEVEL: 'warn',
    PEERS_TOPIC: topic,
    PEERS_GROUP: name,
    PEERS_INDEX: name,
    PEERS_DLQ_TOPIC: `${name}.dlq`,
    WEB_ACCESS_TOPIC: topic,
    WEB_ACCESS_GROUP_ID: name,
    WEB_ACCESS_INDEX_PREFIX: name,
    WEB_ACCESS_DLQ_TOPIC: `${name}.dlq`,
  };
  const capOpt = capsItself(node) || nodeOptions.some((o) => o.startsWith('--max-old-space-size')) || cap === undefined ? [] : [`--max-old-space-size=${cap}`];
  const child = spawn(node, [...capOpt, ...nodeOptions, join(root, 'bin', 'sluice'), 'run', pipeline], { cwd: root, env, stdio: ['ignore', 'inherit', 'inherit'] });
  let first = 0;
  let stats = procStats(child.pid!);
  for (;;) {
    const n = (await es(`/${name}*/_count`).catch(() => undefined))?.count ?? 0;
    stats = procStats(child.pid!) ?? stats;
    if (n > 0 && !first) first = Date.now();
    if (n >= RECORDS) break;
    if (child.exitCode !== null) throw new Error(`sluice exited early (${child.exitCode}) with ${n} documents`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const seconds = (Date.now() - first) / 1000;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
  process.stdout.write(
    `run ${run + 1}: ${(((stats!.cpuSeconds) / RECORDS) * 1e6).toFixed(1)} CPU s per million · ${Math.round(RECORDS / seconds)} events/s · peak RSS ${Math.round(stats!.hwm / 2 ** 20)} MiB · load ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}\n`,
  );
  // Its index, the template sluice installed for it, its dead-letter topic and its group.
  await pruneRunLeftovers({ esUrl: stack.esUrl, kafkaBrokers: stack.kafkaBrokers, match: new RegExp(`(^|-)${name}([-.]|$)`) });
}
