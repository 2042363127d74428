/**
 * End-to-end benchmark on the local real stack (Kafka 3.9 + Elasticsearch 8.19, started or
 * reused like `npm run demo`; KAFKA_BROKERS + ES_URL point it elsewhere):
 *
 *   1. max sustained throughput of `sluice run` (the real CLI, one process) on the richest
 *      shipped pipeline, pipelines/web-access.json (grok, date, mutate, geoip, useragent,
 *      mutate), over records already waiting in Kafka: events/s from the first document to
 *      the last committed offset, CPU seconds per million events and peak RSS (VmHWM) of the
 *      sluice process, from /proc;
 *   2. the same with two `sluice run` processes in one consumer group (replicas), and with
 *      one `sluice run --workers 2` (supervisor + 2 workers): what a second process adds on
 *      this machine, either way;
 *   3. the ceiling: the same number of raw lines bulk-indexed by a plain loader (the ES
 *      client, no parsing, same batch size and concurrency), and sluice as a fraction of it;
 *   4. produce-to-searchable latency at a steady rate (default 5,000 events/s for 60 s):
 *      every 20th record's send time against the first `_search` (ids query, so it respects
 *      the 1 s refresh) that finds its document; p50/p90/p99/max.
 *
 *   npm run bench -- e2e [--records 200000] [--rate 5000] [--seconds 60] [--pipeline FILE]
 *                        [--output '{"concurrency":4}'] [--skip throughput,replicas,workers,ceiling,latency]
 *
 * `--output` merges settings into the pipeline's elasticsearch output (in a temporary copy
 * next to the pipeline file), to compare output settings on the same load.
 *
 * The machine's load average is printed before and after: on a shared 2-core machine the
 * figures move with whatever else runs; compare runs at similar load.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import kafkajs from 'kafkajs';
import { ensureStack } from '../scripts/stack/index.js';
import { registerCompressionCodecs } from '../src/inputs/kafka/compression.js';
import { procStats, type ProcStats } from '../test/helpers/proc.js';
import { produceLines } from './shared/produce.js';

const root = join(fileURLToPath(import.meta.url), '..', '..');
const args = process.argv.slice(2).filter((a, i) => !(i === 0 && a === 'e2e'));
const opt = (name: string, dflt: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1] : dflt;
};
const RECORDS = Number(opt('records', '200000'));
const RATE = Number(opt('rate', '5000'));
const SECONDS = Number(opt('seconds', '60'));
const SOURCE_PIPELINE = opt('pipeline', join(root, 'pipelines', 'web-access.json'));
/** --output '{"batchMaxWaitMs":50}': output settings to try, merged into a copy of the pipeline. */
const OUTPUT_OVERRIDE = JSON.parse(opt('output', '{}')) as Record<string, unknown>;
let PIPELINE = SOURCE_PIPELINE;
if (Object.keys(OUTPUT_OVERRIDE).length) {
  // Next to the original, so paths relative to the pipeline file still resolve.
  const def = JSON.parse(readFileSync(SOURCE_PIPELINE, 'utf8'));
  Object.assign(def.output.elasticsearch, OUTPUT_OVERRIDE);
  PIPELINE = join(dirname(SOURCE_PIPELINE), `.bench-${process.pid}-${basename(SOURCE_PIPELINE)}`);
  writeFileSync(PIPELINE, JSON.stringify(def, null, 2));
  process.on('exit', () => rmSync(PIPELINE, { force: true }));
}
const SKIP = new Set(opt('skip', '').split(',').filter(Boolean));
const PARTITIONS = 4;
const BATCH_DOCS = 2000; // the elasticsearch output's default batchMaxDocs
const CONCURRENCY = 2; // ... and concurrency

const say = (m: string) => process.stdout.write(`${m}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const load = () => os.loadavg().map((l) => l.toFixed(2)).join(' ');

const stack = await ensureStack({ asUser: true, log: (m) => process.stderr.write(`[stack] ${m}\n`) });
const brokers = stack.kafkaBrokers;
const esUrl = stack.esUrl;
const kafka = new kafkajs.Kafka({ clientId: 'sluice-bench', brokers, logLevel: kafkajs.logLevel.NOTHING });
const admin = kafka.admin();
await admin.connect();
registerCompressionCodecs();
const lines = readFileSync(join(root, 'samples', 'web-access.log'), 'utf8').split('\n').filter(Boolean);
const run = `bench-${Date.now().toString(36)}`;
const created: string[] = [];

async function es(path: string, method = 'GET', body?: unknown): Promise<any> {
  const res = await fetch(`${esUrl}${path}`, {
    method,
    headers: { 'content-type': body !== undefined && typeof body === 'string' ? 'application/x-ndjson' : 'application/json' },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok && res.status !== 404) throw new Error(`${method} ${path}: HTTP ${res.status} ${text.slice(0, 300)}`);
  return text ? JSON.parse(text) : undefined;
}

async function createTopic(topic: string): Promise<void> {
  await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS }], waitForLeaders: true });
}

/** Every index of this run: 1 shard, no replica (green on one node), default 1 s refresh. */
await es(`/_index_template/${run}`, 'PUT', { index_patterns: [`${run}-*`], template: { settings: { number_of_shards: 1, number_of_replicas: 0 } } });

const produceAll = (topic: string, n: number) => produceLines(kafka, topic, lines, n, PARTITIONS);

async function lag(groupId: string, topic: string): Promise<number> {
  const ends = await admin.fetchTopicOffsets(topic);
  const committed = (await admin.fetchOffsets({ groupId, topics: [topic] }))[0]?.partitions ?? [];
  return ends.reduce((sum, e) => sum + Number(e.high) - Math.max(0, Number(committed.find((c) => c.partition === e.partition)?.offset ?? 0)), 0);
}

interface Proc {
  child: ChildProcess;
  output: () => string;
}

function startSluice(topic: string, groupId: string, indexPrefix: string, extraArgs: string[] = []): Proc {
  const env = {
    ...process.env,
    KAFKA_BROKERS: brokers.join(','),
    ES_URL: esUrl,
    WEB_ACCESS_TOPIC: topic,
    WEB_ACCESS_GROUP_ID: groupId,
    WEB_ACCESS_INDEX_PREFIX: indexPrefix,
    WEB_ACCESS_DLQ_TOPIC: `${indexPrefix}.dlq`,
    DEMO_TOPIC: topic,
    DEMO_GROUP_ID: groupId,
    DEMO_INDEX_PREFIX: indexPrefix,
    SLUICE_HTTP_PORT: '0',
    SLUICE_LOG_LEVEL: 'info',
  };
  const child = spawn(process.execPath, [join(root, 'bin', 'sluice'), 'run', ...extraArgs, PIPELINE], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out = (out + d).slice(-200_000)));
  child.stderr!.on('data', (d) => (out = (out + d).slice(-200_000)));
  return { child, output: () => out };
}

async function stopSluice(p: Proc): Promise<void> {
  // BENCH_LOG_DIR=dir keeps each sluice process's log (the last 200 kB) for a closer look.
  if (process.env.BENCH_LOG_DIR) writeFileSync(join(process.env.BENCH_LOG_DIR, `sluice-${p.child.pid}.log`), p.output());
  if (p.child.exitCode !== null) return;
  const exited = new Promise((r) => p.child.once('exit', r));
  p.child.kill('SIGTERM');
  await Promise.race([exited, sleep(60_000)]);
  if (p.child.exitCode === null) p.child.kill('SIGKILL');
}

/** CPU and memory of a process that must still be running. */
function stats(pid: number): ProcStats {
  const s = procStats(pid);
  if (!s) throw new Error(`process ${pid} is gone`);
  return s;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
/** yyyy.MM.dd (UTC) of an access-log line's [dd/MMM/yyyy:HH:mm:ss Z]: the day its index is named after. */
function lineDay(line: string): string {
  const m = /\[(\d{2})\/(\w{3})\/(\d{4}):(\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2})\]/.exec(line);
  if (!m) return 'unknown';
  const offsetMin = (m[7] === '-' ? -1 : 1) * (Number(m[8]) * 60 + Number(m[9]));
  const d = new Date(Date.UTC(Number(m[3]), MONTHS.indexOf(m[2]), Number(m[1]), Number(m[4]), Number(m[5]), Number(m[6])) - offsetMin * 60_000);
  return `${d.getUTCFullYear()}.${String(d.getUTCMonth() + 1).padStart(2, '0')}.${String(d.getUTCDate()).padStart(2, '0')}`;
}

async function count(pattern: string, opts: { refresh?: boolean } = {}): Promise<number> {
  // The final counts refresh first: the last bulk may not be searchable yet (1 s refresh).
  if (opts.refresh) await es(`/${pattern}/_refresh`, 'POST').catch(() => undefined);
  return (await es(`/${pattern}/_count`).catch(() => undefined))?.count ?? 0;
}

const results: Record<string, unknown> = {};
say(`sluice end-to-end benchmark · ${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'}) · ${fmt(os.totalmem() / 2 ** 30)} GiB RAM`);
say(`stack: Kafka ${brokers.join(',')} · Elasticsearch ${esUrl} (${(await es('/')).version.number})`);
say(`pipeline: ${SOURCE_PIPELINE}${Object.keys(OUTPUT_OVERRIDE).length ? ` with output ${JSON.stringify(OUTPUT_OVERRIDE)}` : ''}`);
say(`load average at start (1/5/15 min): ${load()}`);

// ------------------------------------------------------------------------------------------
// 1 + 2: throughput with 1 and 2 processes

/** The pids of a `run --workers N` supervisor's workers, from its "worker started" log lines. */
function workerPids(p: Proc): number[] {
  const pids: number[] = [];
  for (const line of p.output().split('\n')) {
    if (!line.includes('"worker started"')) continue;
    try {
      pids.push(JSON.parse(line).pid);
    } catch {
      /* a cut line */
    }
  }
  return pids;
}

/** `replicas` separate `sluice run` processes, each with `workers` worker processes (1: none). */
async function throughput(replicas: number, workers = 1): Promise<{ eps: number; seconds: number; cpuPerMillion: number; hwm: number }> {
  const name = `${run}-tp${replicas}x${workers}`;
  const topic = name;
  const prefix = name;
  const group = name;
  await createTopic(topic);
  created.push(topic);
  await produceAll(topic, RECORDS);
  const procs = Array.from({ length: replicas }, () => startSluice(topic, group, prefix, workers > 1 ? ['--workers', String(workers)] : []));
  const deadline = Date.now() + 30 * 60_000;
  while ((await count(`${prefix}-*`)) === 0) {
    if (Date.now() > deadline || procs.some((p) => p.child.exitCode !== null)) throw new Error(`no documents from sluice:\n${procs.map((p) => p.output().slice(-2000)).join('\n')}`);
    await sleep(100);
  }
  // Every process that works: the processes started here, and with --workers their workers.
  const pids = procs.flatMap((p) => [p.child.pid!, ...(workers > 1 ? workerPids(p) : [])]);
  const expected = replicas * (workers > 1 ? workers + 1 : 1);
  if (pids.length !== expected) throw new Error(`expected ${expected} processes, found ${pids.length}`);
  const t0 = Date.now();
  const cpu0 = pids.map((pid) => stats(pid).cpuSeconds);
  while ((await lag(group, topic)) > 0) {
    if (Date.now() > deadline || procs.some((p) => p.child.exitCode !== null)) throw new Error(`sluice did not catch up:\n${procs.map((p) => p.output().slice(-2000)).join('\n')}`);
    await sleep(250);
  }
  const seconds = (Date.now() - t0) / 1000;
  // VmHWM is a peak already: one reading at the end covers the whole run.
  const now = pids.map(stats);
  const cpu = now.reduce((sum, x, i) => sum + x.cpuSeconds - cpu0[i], 0);
  await Promise.all(procs.map(stopSluice));
  const docs = await count(`${prefix}-*`, { refresh: true });
  if (docs !== RECORDS) say(`  warning: ${docs} documents for ${RECORDS} records`);
  return { eps: RECORDS / seconds, seconds, cpuPerMillion: (cpu / RECORDS) * 1e6, hwm: Math.max(...now.map((s) => s.hwm)) };
}

let one: Awaited<ReturnType<typeof throughput>> | undefined;
if (!SKIP.has('throughput')) {
  say(`\n[1] max sustained throughput, 1 process: ${fmt(RECORDS)} records waiting in ${PARTITIONS} partitions`);
  one = await throughput(1);
  say(`    ${fmt(one.eps)} events/s (${one.seconds.toFixed(1)} s) · ${one.cpuPerMillion.toFixed(1)} CPU s per million events · peak RSS ${fmt(one.hwm / 2 ** 20)} MiB`);
  results.oneProcess = one;
}
if (!SKIP.has('replicas')) {
  say(`\n[2] the same with 2 processes in one consumer group (replicas)`);
  const two = await throughput(2);
  say(`    ${fmt(two.eps)} events/s (${two.seconds.toFixed(1)} s) · ${two.cpuPerMillion.toFixed(1)} CPU s per million events (both) · peak RSS ${fmt(two.hwm / 2 ** 20)} MiB (largest)`);
  if (one) say(`    2 processes / 1 process: ${(two.eps / one.eps).toFixed(2)}×`);
  results.twoProcesses = two;
}
if (!SKIP.has('workers')) {
  say(`\n[2b] the same with one process and --workers 2 (supervisor + 2 workers)`);
  const w = await throughput(1, 2);
  say(`    ${fmt(w.eps)} events/s (${w.seconds.toFixed(1)} s) · ${w.cpuPerMillion.toFixed(1)} CPU s per million events (all) · peak RSS ${fmt(w.hwm / 2 ** 20)} MiB (largest)`);
  if (one) say(`    --workers 2 / 1 process: ${(w.eps / one.eps).toFixed(2)}×`);
  results.workers2 = w;
}

// ------------------------------------------------------------------------------------------
// 3: ceiling, a plain bulk loader

if (!SKIP.has('ceiling')) {
  say(`\n[3] ceiling: ${fmt(RECORDS)} raw lines bulk-indexed with no parsing (${BATCH_DOCS} per request, ${CONCURRENCY} in flight)`);
  const index = `${run}-ceiling`;
  const ts = new Date().toISOString();
  let next = 0;
  const t0 = Date.now();
  const worker = async () => {
    for (;;) {
      const start = next;
      if (start >= RECORDS) return;
      next = Math.min(RECORDS, start + BATCH_DOCS);
      let body = '';
      for (let i = start; i < next; i++) body += `{"index":{"_index":"${index}","_id":"c-${i}"}}\n${JSON.stringify({ '@timestamp': ts, message: lines[i % lines.length] })}\n`;
      for (;;) {
        const r = await es('/_bulk', 'POST', body);
        if (!r.errors) break;
        await sleep(100); // only 429s are expected here; resend the batch
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const seconds = (Date.now() - t0) / 1000;
  const eps = RECORDS / seconds;
  say(`    ${fmt(eps)} events/s (${seconds.toFixed(1)} s)`);
  if (one) say(`    sluice (1 process, full pipeline) = ${((one.eps / eps) * 100).toFixed(0)} % of the ceiling`);
  results.ceiling = { eps, seconds };
}

// ------------------------------------------------------------------------------------------
// 4: latency at a steady rate

if (!SKIP.has('latency')) {
  say(`\n[4] produce-to-searchable latency at ${fmt(RATE)} events/s for ${SECONDS} s (default 1 s refresh)`);
  const topic = `${run}-lat`;
  const prefix = `${run}-lat`;
  await createTopic(topic);
  created.push(topic);
  const proc = startSluice(topic, `${run}-lat`, prefix);
  const deadline = Date.now() + 120_000;
  while (!/partitions assigned/.test(proc.output())) {
    if (Date.now() > deadline || proc.child.exitCode !== null) throw new Error(`sluice did not join:\n${proc.output().slice(-2000)}`);
    await sleep(100);
  }
  await sleep(2000);
  const producer = kafka.producer();
  await producer.connect();
  const samples = new Map<string, number>(); // _id → send time, until searchable
  // The same samples until a realtime GET finds them (indexed, whether refreshed or not): the
  // pipeline's own share of the latency, without the refresh interval.
  const unindexed = new Map<string, { t: number; index: string }>();
  const indexedMs: { sent: number; ms: number }[] = [];
  const latencies: { sent: number; ms: number }[] = [];
  let producing = true;
  let sent = 0;
  const started = Date.now();
  const tickMs = 100;
  const producerLoop = (async () => {
    for (let tick = 0; Date.now() - started < SECONDS * 1000; tick++) {
      const due = Math.floor(((Date.now() - started) / 1000) * RATE);
      const n = due - sent;
      if (n > 0) {
        const partition = tick % PARTITIONS;
        const messages = Array.from({ length: n }, (_, j) => ({ partition, value: lines[(sent + j) % lines.length] }));
        const t = Date.now();
        const [meta] = await producer.send({ topic, acks: -1, messages });
        const base = Number(meta.baseOffset);
        for (let j = 0; j < n; j += 20) {
          const id = `${topic}-${partition}-${base + j}`;
          samples.set(id, t);
          unindexed.set(id, { t, index: `${prefix}-${lineDay(messages[j].value)}` });
        }
        sent += n;
      }
      await sleep(Math.max(0, tickMs - ((Date.now() - started) % tickMs)));
    }
    producing = false;
  })();
  const startCpu = stats(proc.child.pid!).cpuSeconds;
  // Two independent pollers, each asking every 100 ms (or at once when a request took
  // longer), so one slow request does not delay the other measurement.
  const pollDeadline = () => !producing && Date.now() > started + SECONDS * 1000 + 30_000;
  const poll = async (done: () => boolean, once: () => Promise<void>) => {
    while (!done() && !pollDeadline()) {
      const t0 = Date.now();
      await once();
      await sleep(Math.max(0, 100 - (Date.now() - t0)));
    }
  };
  const indexedPoll = poll(
    () => !producing && unindexed.size === 0,
    async () => {
      const notIndexed = [...unindexed].slice(0, 2000);
      if (!notIndexed.length) return;
      const asked = Date.now();
      const r = await es('/_mget', 'POST', { docs: notIndexed.map(([id, { index }]) => ({ _index: index, _id: id, _source: false })) }).catch(() => undefined);
      for (const d of r?.docs ?? []) {
        const u = d.found ? unindexed.get(d._id) : undefined;
        if (u) {
          indexedMs.push({ sent: u.t, ms: asked - u.t });
          unindexed.delete(d._id);
        }
      }
    },
  );
  const searchablePoll = poll(
    () => !producing && samples.size === 0,
    async () => {
      const pending = [...samples.keys()].slice(0, 2000);
      if (!pending.length) return;
      const asked = Date.now();
      const r = await es(`/${prefix}-*/_search`, 'POST', { size: pending.length, _source: false, query: { ids: { values: pending } } }).catch(() => undefined);
      for (const h of r?.hits?.hits ?? []) {
        const t = samples.get(h._id);
        if (t !== undefined) {
          latencies.push({ sent: t, ms: asked - t });
          samples.delete(h._id);
        }
      }
    },
  );
  const pollLoop = Promise.all([indexedPoll, searchablePoll]);
  await producerLoop;
  await pollLoop;
  const { cpuSeconds: cpu, hwm } = stats(proc.child.pid!);
  await stopSluice(proc);
  await producer.disconnect();
  const steady = latencies.filter((l) => l.sent - started >= 5000).map((l) => l.ms).sort((a, b) => a - b);
  const q = (p: number, list = steady) => list[Math.min(list.length - 1, Math.floor(p * list.length))] ?? NaN;
  const pipelineOnly = indexedMs.filter((l) => l.sent - started >= 5000).map((l) => l.ms).sort((a, b) => a - b);
  const cpuShare = (cpu - startCpu) / (SECONDS + 30);
  say(`    ${fmt(sent)} records sent (${fmt(sent / SECONDS)}/s); ${fmt(steady.length)} sampled after the first 5 s; ${samples.size} never seen`);
  say(`    latency p50 ${fmt(q(0.5))} ms · p90 ${fmt(q(0.9))} ms · p99 ${fmt(q(0.99))} ms · max ${fmt(steady[steady.length - 1] ?? NaN)} ms (target p99 <= 1,500 ms)`);
  say(`    of which indexed (realtime GET, before the refresh makes it searchable): p50 ${fmt(q(0.5, pipelineOnly))} ms · p90 ${fmt(q(0.9, pipelineOnly))} ms · p99 ${fmt(q(0.99, pipelineOnly))} ms`);
  say(`    sluice at this rate: ~${(cpuShare * 100).toFixed(0)} % of one core on average, peak RSS ${fmt(hwm / 2 ** 20)} MiB`);
  results.latency = { sent, rate: sent / SECONDS, p50: q(0.5), p90: q(0.9), p99: q(0.99), max: steady[steady.length - 1], unseen: samples.size, hwm, indexed: { p50: q(0.5, pipelineOnly), p90: q(0.9, pipelineOnly), p99: q(0.99, pipelineOnly) } };
}

say(`\nload average at the end (1/5/15 min): ${load()}`);
say(`\nJSON: ${JSON.stringify({ records: RECORDS, pipeline: SOURCE_PIPELINE, output: OUTPUT_OVERRIDE, load: os.loadavg(), ...results })}`);

// Clean up: the run's indices, template and topics (the shared stack keeps running). By
// name: Elasticsearch 8 refuses wildcard deletes (action.destructive_requires_name).
const indices = ((await es(`/_cat/indices/${run}-*?format=json&expand_wildcards=all`).catch(() => [])) as { index: string }[]).map((i) => i.index);
if (indices.length) await es(`/${indices.join(',')}`, 'DELETE').catch(() => undefined);
await es(`/_index_template/${run}`, 'DELETE').catch(() => undefined);
await admin.deleteTopics({ topics: created.flatMap((t) => [t, `${t}.dlq`]) }).catch(() => undefined);
await admin.disconnect();
