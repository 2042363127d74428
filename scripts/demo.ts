/**
 * `npm run demo`: the main job on a fresh machine. Starts the local Kafka and Elasticsearch
 * (unless KAFKA_BROKERS and ES_URL point at running ones), produces the shipped sample of
 * real web access logs, runs pipelines/demo.json with the real CLI until it has caught up,
 * shows what was indexed, and stops what it started.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import kafkajs from 'kafkajs';
import { ensureStack, stopStack } from './stack/index.js';

const root = join(fileURLToPath(import.meta.url), '..', '..');
const say = (msg: string) => process.stdout.write(`${msg}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  say('» Starting Kafka and Elasticsearch (first run downloads them from Maven Central)...');
  const stack = await ensureStack();
  say(`  Kafka ${stack.kafkaBrokers.join(',')} · Elasticsearch ${stack.esUrl}${stack.started ? '' : ' (already running)'}`);
  const run = Date.now().toString(36);
  const topic = `demo-web-access-${run}`;
  const indexPrefix = `demo-web-access-${run}`;
  const groupId = `sluice-demo-${run}`;
  const lines = readFileSync(join(root, 'samples', 'web-access.log'), 'utf8').split('\n').filter(Boolean);

  const kafka = new kafkajs.Kafka({ clientId: 'sluice-demo', brokers: stack.kafkaBrokers, logLevel: kafkajs.logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });
  const producer = kafka.producer();
  await producer.connect();
  for (let i = 0; i < lines.length; i += 500) {
    await producer.send({ topic, compression: kafkajs.CompressionTypes.GZIP, messages: lines.slice(i, i + 500).map((value) => ({ value })) });
  }
  await producer.disconnect();
  say(`» Produced ${lines.length} real access-log lines to topic ${topic}`);

  // Dead letters of this run: what the pipeline's dead-letter topic grows by.
  const dlqTopic = 'demo.dlq';
  const dlqSize = async () => {
    try {
      return (await admin.fetchTopicOffsets(dlqTopic)).reduce((n, p) => n + Number(p.high), 0);
    } catch {
      return 0; // not created yet
    }
  };
  const dlqBefore = await dlqSize();
  say('» Running: sluice run pipelines/demo.json');
  const env = { ...process.env, KAFKA_BROKERS: stack.kafkaBrokers.join(','), ES_URL: stack.esUrl, DEMO_TOPIC: topic, DEMO_INDEX_PREFIX: indexPrefix, DEMO_GROUP_ID: groupId, SLUICE_LOG_LEVEL: process.env.SLUICE_LOG_LEVEL ?? 'warn' };
  const child = spawn(process.execPath, [join(root, 'bin', 'sluice'), 'run', join(root, 'pipelines', 'demo.json')], { env, stdio: ['ignore', 'inherit', 'inherit'] });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));

  // Caught up: the group's committed offsets reached the end of every partition.
  const started = Date.now();
  for (;;) {
    if (child.exitCode !== null) throw new Error(`sluice exited early with code ${child.exitCode}`);
    const ends = await admin.fetchTopicOffsets(topic);
    let committed: { partition: number; offset: string }[];
    try {
      committed = (await admin.fetchOffsets({ groupId, topics: [topic] }))[0]?.partitions ?? [];
    } catch (err) {
      // A fresh broker's group coordinator may still be loading: ask again.
      if (!(err as { retriable?: boolean }).retriable) throw err;
      await sleep(250);
      continue;
    }
    const lag = ends.reduce((sum, e) => sum + Number(e.high) - Math.max(0, Number(committed.find((c) => c.partition === e.partition)?.offset ?? 0)), 0);
    if (lag === 0) break;
    if (Date.now() - started > 120_000) throw new Error(`not caught up after 120 s (lag ${lag})`);
    await sleep(250);
  }
  say(`» Caught up in ${((Date.now() - started) / 1000).toFixed(1)} s; stopping sluice (SIGTERM)`);
  child.kill('SIGTERM');
  const code = await exited;
  const deadLetters = (await dlqSize()) - dlqBefore;
  await admin.disconnect();

  const es = async (path: string, body?: unknown) => {
    const res = await fetch(`${stack.esUrl}${path}`, { method: body ? 'POST' : 'GET', headers: { 'content-type': 'application/json' }, body: body ? JSON.stringify(body) : undefined });
    return res.json() as Promise<any>;
  };
  await fetch(`${stack.esUrl}/${indexPrefix}-*/_refresh`, { method: 'POST' });
  const count = (await es(`/${indexPrefix}-*/_count`)).count;
  const agg = await es(`/${indexPrefix}-*/_search`, { size: 0, aggs: { status: { terms: { field: 'http.response.status_code', size: 10 } }, index: { terms: { field: '_index' } } } });
  const dead = (await es(`/${indexPrefix}-*/_count?q=tags:_grokparsefailure`)).count;
  say('');
  say(`Indexed documents: ${count} of ${lines.length} (sluice exited with code ${code})`);
  say(`Index: ${agg.aggregations.index.buckets.map((b: any) => b.key).join(', ')}`);
  say(`Lines that did not parse (tagged _grokparsefailure): ${dead}`);
  say(`Dead letters (records added to ${dlqTopic}): ${deadLetters}`);
  say('Top status codes:');
  for (const b of agg.aggregations.status.buckets) say(`  ${String(b.key).padEnd(5)} ${b.doc_count}`);
  say('');
  say('Try a query yourself (while the stack runs: npm run stack:up):');
  say(`  curl -s '${stack.esUrl}/${indexPrefix}-*/_search?q=http.response.status_code:404&size=3&pretty'`);
  if (stack.started) {
    say('');
    say('» Stopping the services the demo started (npm run stack:up keeps them running)');
    await stopStack();
  }
  if (count !== lines.length || code !== 0 || deadLetters !== 0) process.exitCode = 1;
}

main().catch(async (err) => {
  process.stderr.write(`demo failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
