/**
 * Filter benchmark: events per second on one core over the 10,000 real Apache access-log
 * lines of the shared corpus, repeated to ~200,000 events.
 *
 *   (a) grok HTTPD_COMBINEDLOG alone (the filter's process() on fresh { message } events);
 *   (a') the same grok step through the RecordProcessor (codec, @metadata, time guard);
 *   (b) pipelines/web-access.json (grok + date + mutate + geoip + useragent + mutate) through
 *       the real RecordProcessor.processBatch, built exactly as `sluice process` builds it.
 *
 * For each: throughput (best and median of several timed runs), the per-event cost
 * distribution (p50/p99 of the time per event, measured over batches of 16 events), peak
 * RSS, and the machine's load average before and after (a loaded machine gives lower
 * figures; compare runs only at similar load).
 *
 *   npm run bench -- filters [--file access.log] [--events 200000] [--runs 5] [--pin]
 *   npx tsx bench/filters.ts [same options]
 *
 * JavaScript runs on one thread; `--pin` re-runs the benchmark under `taskset -c 0` so that
 * V8's background (GC, compiler) threads share that core too.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import type { ComponentContext, Filter, SourceRecord } from '../src/core/component.js';
import type { Event } from '../src/core/event.js';
import { loadPipeline } from '../src/config/load.js';
import { components } from '../src/registry.js';
import { buildFilters } from '../src/runtime/build.js';
import { processorOptions } from '../src/runtime/pipeline.js';
import { RecordProcessor } from '../src/runtime/processor.js';
import { grok } from '../src/filters/grok/index.js';
import { makeFilter } from '../src/testing/context.js';

// ------------------------------------------------------------------ options

const argv = process.argv.slice(2).filter((a) => a !== 'filters');
function option(name: string, fallback: string): string {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < argv.length ? argv[i + 1] : fallback;
}
const FILE = option('file', fileURLToPath(new URL('../../shared/corpus/apache-access/access.log', import.meta.url)));
const EVENTS = Number(option('events', '200000'));
const RUNS = Number(option('runs', '5'));
const PIPELINE = fileURLToPath(new URL('../pipelines/web-access.json', import.meta.url));
const BATCH = 500; // what `sluice process` hands to processBatch; Kafka batches are similar
const SAMPLE = 16; // events per latency sample

if (argv.includes('--pin') && !process.env.SLUICE_BENCH_PINNED) {
  const args = process.argv.slice(1).filter((a) => a !== '--pin');
  const r = spawnSync('taskset', ['-c', '0', process.execPath, ...process.execArgv, ...args], {
    stdio: 'inherit',
    env: { ...process.env, SLUICE_BENCH_PINNED: '1' },
  });
  process.exit(r.status ?? 1);
}

// ------------------------------------------------------------------ input

let lines: string[];
try {
  lines = readFileSync(FILE, 'utf8').split('\n').filter((l) => l.length > 0);
} catch (err) {
  console.error(`cannot read ${FILE}: ${(err as Error).message}\n(the shared corpus is expected at ../shared/corpus; or pass --file)`);
  process.exit(2);
}
const repeat = Math.max(1, Math.round(EVENTS / lines.length));
const total = repeat * lines.length;
const values = lines.map((l) => Buffer.from(l, 'utf8'));
const now = String(Date.now());
/** Fresh records each call (the processor does not keep them, but be fair to allocation). */
function recordsFor(from: number, to: number): SourceRecord[] {
  const out: SourceRecord[] = new Array(to - from);
  for (let i = from; i < to; i++) out[i - from] = { topic: 'bench', partition: 0, offset: String(i), key: null, value: values[i % values.length], timestamp: now, headers: {} };
  return out;
}

// ------------------------------------------------------------------ measuring

interface Result {
  name: string;
  best: number;
  median: number;
  p50us: number;
  p99us: number;
  rssMiB: number;
  failures: number;
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const quantile = (sorted: Float64Array, q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
const peakRssMiB = () => process.resourceUsage().maxRSS / 1024;

/**
 * `runRange(from, to)` processes events [from, to) of the repeated input and returns how many
 * failed. Throughput: `total` events in ranges of BATCH, timed as a whole. Latency: ranges
 * of SAMPLE events timed one by one (time / SAMPLE per event), over one pass of the file.
 */
function measure(name: string, runRange: (from: number, to: number) => number): Result {
  let failures = 0;
  for (let i = 0; i < lines.length; i += BATCH) failures += runRange(i, Math.min(i + BATCH, lines.length)); // warm-up: JIT, caches
  const rates: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < total; i += BATCH) runRange(i, Math.min(i + BATCH, total));
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    rates.push(total / seconds);
  }
  const samples = new Float64Array(Math.ceil(lines.length / SAMPLE));
  for (let s = 0, i = 0; i < lines.length; s++, i += SAMPLE) {
    const t0 = process.hrtime.bigint();
    runRange(i, Math.min(i + SAMPLE, lines.length));
    samples[s] = Number(process.hrtime.bigint() - t0) / 1e3 / Math.min(SAMPLE, lines.length - i);
  }
  samples.sort();
  return { name, best: Math.max(...rates), median: median(rates), p50us: quantile(samples, 0.5), p99us: quantile(samples, 0.99), rssMiB: peakRssMiB(), failures };
}

// ------------------------------------------------------------------ the cases

const silent = pino({ level: 'silent' });
const ctx: ComponentContext = { pipelineId: 'bench', baseDir: process.cwd(), logger: silent };

async function grokAlone(): Promise<Result> {
  const filter: Filter = await makeFilter(grok, { patterns: ['%{HTTPD_COMBINEDLOG}'] }, ctx);
  return measure('(a)  grok HTTPD_COMBINEDLOG alone', (from, to) => {
    let failed = 0;
    for (let i = from; i < to; i++) {
      const event: Event = { message: lines[i % lines.length] };
      filter.process(event);
      if (event.tags !== undefined) failed++;
    }
    return failed;
  });
}

function failedOutcomes(outcomes: ReturnType<RecordProcessor['processBatch']>, tag: string): number {
  let failed = 0;
  for (const o of outcomes) {
    if (o.kind !== 'events') failed++;
    else for (const e of o.events) if (Array.isArray(e.tags) && e.tags.some((t) => typeof t === 'string' && t.startsWith(tag))) failed++;
  }
  return failed;
}

async function grokThroughProcessor(): Promise<Result> {
  const filter = await makeFilter(grok, { patterns: ['%{HTTPD_COMBINEDLOG}'] }, ctx);
  const processor = new RecordProcessor([{ label: 'grok', filter, timeoutTag: '_groktimeout' }], {
    codec: 'plain',
    maxRecordBytes: 1 << 20,
    filterTimeoutMs: 250,
    onFilterTimeout: 'tag',
  });
  return measure("(a') grok HTTPD_COMBINEDLOG via RecordProcessor", (from, to) => failedOutcomes(processor.processBatch(recordsFor(from, to)), '_'));
}

async function webAccess(): Promise<Result> {
  // Built exactly as src/cli/process.ts builds it.
  const def = loadPipeline(PIPELINE, components);
  const built = await buildFilters(def, { pipelineId: def.id, baseDir: def.baseDir, logger: silent });
  const processor = new RecordProcessor(built.steps, processorOptions(def));
  const result = measure('(b)  pipelines/web-access.json via RecordProcessor', (from, to) => failedOutcomes(processor.processBatch(recordsFor(from, to)), '_'));
  await built.close();
  return result;
}

// ------------------------------------------------------------------ report

const load = () => os.loadavg().map((x) => x.toFixed(2)).join(' ');
const cpus = os.cpus();
console.log(`sluice filter benchmark — ${FILE}`);
console.log(
  `${lines.length.toLocaleString('en-US')} lines × ${repeat} = ${total.toLocaleString('en-US')} events per run, ${RUNS} runs, batches of ${BATCH}; ` +
    `latency over batches of ${SAMPLE}. Node ${process.version}, ${cpus.length} CPU(s) × ${cpus[0]?.model ?? '?'}` +
    `${process.env.SLUICE_BENCH_PINNED ? ', pinned to CPU 0' : ''}`,
);
const loadBefore = load();
console.log(`load average (1, 5, 15 min) before: ${loadBefore}`);

const targets: Record<string, number> = { '(a) ': 150_000, '(b) ': 60_000 };
const results: Result[] = [];
for (const run of [grokAlone, grokThroughProcessor, webAccess]) {
  const r = await run();
  results.push(r);
  const target = Object.entries(targets).find(([k]) => r.name.startsWith(k))?.[1];
  console.log(
    `${r.name.padEnd(52)} ${fmt(r.best).padStart(9)} ev/s best, ${fmt(r.median).padStart(9)} median` +
      `${target ? ` (target ${fmt(target)}: ${r.best >= target ? 'met' : 'NOT met'})` : ''}; ` +
      `per event p50 ${r.p50us.toFixed(2)} µs, p99 ${r.p99us.toFixed(2)} µs; peak RSS so far ${r.rssMiB.toFixed(0)} MiB; ` +
      `${r.failures} of ${lines.length} lines failed or tagged`,
  );
}
console.log(`load average (1, 5, 15 min) after:  ${load()}`);
