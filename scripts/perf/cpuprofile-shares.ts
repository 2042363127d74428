/**
 * Where the busy time of a `sluice run` went, by part of the pipeline: the self time of a V8
 * .cpuprofile (node --cpu-prof; e.g. from `scripts/perf/e2e-once.ts -- --cpu-prof
 * --cpu-prof-dir=DIR`) grouped into the rows docs/performance.md shows ("Where the time goes").
 * Idle samples are left out. Samples are wall time on the main thread: a part that waits
 * (a thread join) shows although it spends little CPU.
 *
 *   npx tsx scripts/perf/cpuprofile-shares.ts PROFILE.cpuprofile
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** The first group whose test a sample's frame (or, for module loading, its stack) passes. */
const GROUPS: { name: string; frame?: (url: string, fn: string) => boolean; stack?: RegExp }[] = [
  { name: 'GC', frame: (_u, fn) => fn === '(garbage collector)' },
  { name: 'the filter watchdog (a thread per guarded call; mostly waiting for it)', frame: (_u, fn) => fn === 'runInContext' || fn === 'cpuUsage' },
  { name: 'start-up: loading modules', stack: /loadESM|compileSourceTextModule|wrapSafe|cjs\/loader|esm\/(loader|module_job|translators)|bootstrap\/realm/ },
  { name: 'output: serialising documents into the bulk body, settling items', frame: (u, fn) => /outputs\/elasticsearch/.test(u) || fn === 'writeBuffer' || fn === 'utf8Write' },
  { name: 'HTTP to Elasticsearch', frame: (u, fn) => /undici|node:http|node:net|node:_http|node:stream|node:internal\/streams/.test(u) || fn === 'writev' },
  { name: 'Kafka: kafkajs decoding, gunzip, the input', frame: (u, fn) => /kafkajs|node:zlib|inputs\/kafka/.test(u) || fn === 'processCallback' },
  { name: 'runtime bookkeeping (hand-over, in flight, settling)', frame: (u) => /runtime\/pipeline/.test(u) },
  {
    name: 'filters and per-record processing',
    frame: (u, fn) => /dist\/(filters|core|runtime\/processor|codecs)|ua-parser|maxmind|mmdb-lib|secure-json-parse/.test(u) || fn.startsWith('RegExp') || fn === 'applyCaptures',
  },
];

const file = process.argv[2];
if (!file) {
  console.error('usage: npx tsx scripts/perf/cpuprofile-shares.ts PROFILE.cpuprofile');
  process.exit(2);
}
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const selfTime = new Map<number, number>();
profile.samples.forEach((id, i) => selfTime.set(id, (selfTime.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));

const onStack = (id: number, re: RegExp): boolean => {
  for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
    const { url, functionName } = byId.get(at)!.callFrame;
    if (re.test(`${url} ${functionName}`)) return true;
  }
  return false;
};

const shares = new Map<string, number>();
let busy = 0;
for (const [id, micros] of selfTime) {
  const { url, functionName } = byId.get(id)!.callFrame;
  if (functionName === '(idle)') continue;
  busy += micros;
  const group = GROUPS.find((g) => (g.frame ? g.frame(url, functionName) : onStack(id, g.stack!)))?.name ?? 'other';
  shares.set(group, (shares.get(group) ?? 0) + micros);
}
console.log(`busy: ${(busy / 1e6).toFixed(2)} s of samples`);
for (const [group, micros] of [...shares].sort((a, b) => b[1] - a[1])) {
  console.log(`${((micros / busy) * 100).toFixed(1).padStart(5)} %  ${(micros / 1e3).toFixed(0).padStart(6)} ms  ${group}`);
}
