/**
 * `sluice process`: raw records (one per line) through the pipeline's codec and filters,
 * with no Kafka and no Elasticsearch. Each event is one JSON line on stdout; each would-be
 * dead letter one JSON line on stderr. Exit 0 whatever the records contain.
 */
import { accessSync, constants, createReadStream } from 'node:fs';
import { once } from 'node:events';
import { loadPipeline } from '../config/load.js';
import { components } from '../registry.js';
import { buildFilters } from '../runtime/build.js';
import { RecordProcessor, type FinalOutcome } from '../runtime/processor.js';
import { processorOptions } from '../runtime/pipeline.js';
import { NO_HEADERS, type SourceRecord } from '../core/component.js';
import type { Event } from '../core/event.js';
import { createLogger } from './logger.js';

export interface ProcessOptions {
  input?: string;
  metadata: boolean;
  /** Run the pipeline but print neither events nor dead letters: one summary line on stderr instead. */
  discard?: boolean;
  logLevel?: string;
}

/**
 * Records processed per guarded call. Each call starts and joins a V8 watchdog thread
 * (processor.ts), ~0.3 ms on a busy core, which favours large chunks; but a chunk's events
 * live until it is printed, and more of them then survive young-generation collections, which
 * costs more: 500 took 4.0 CPU s per 1,000,000 lines, 1,000 4.3–4.9, 4,096 4.8–5.1. With
 * --discard the events are only counted and die at once (processBatch's countOnly), so
 * chunks can be larger: on Node 24, grok + date, 1,024 took 3.36–3.50 CPU s, 4,096 3.26–3.34,
 * 8,192 3.31–3.33 (but +34 MiB RSS), 16,384 3.54–3.64.
 */
const RECORDS_PER_CHUNK = 500;
const RECORDS_PER_CHUNK_DISCARD = 4096;

export async function processCommand(file: string, opts: ProcessOptions): Promise<number> {
  const logger = createLogger(opts.logLevel ?? 'warn', 2);
  let processor: RecordProcessor;
  let close: () => Promise<void>;
  try {
    const def = loadPipeline(file, components);
    const built = await buildFilters(def, { pipelineId: def.id, baseDir: def.baseDir, logger });
    close = built.close;
    processor = new RecordProcessor(built.steps, processorOptions(def));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    return 1;
  }
  if (opts.input) {
    try {
      accessSync(opts.input, constants.R_OK);
    } catch (err) {
      process.stderr.write(`--input ${opts.input}: cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})\n`);
      await close();
      return 1;
    }
  }
  // Large reads: fewer chunks to split and fewer lines that straddle two of them.
  const source = opts.input ? createReadStream(opts.input, { highWaterMark: 1 << 20 }) : process.stdin;
  const now = String(Date.now());
  let offset = 0;
  let out = '';
  const flushOut = async () => {
    if (out && !process.stdout.write(out)) await once(process.stdout, 'drain');
    out = '';
  };
  let chunk: SourceRecord[] = [];
  const chunkSize = opts.discard ? RECORDS_PER_CHUNK_DISCARD : RECORDS_PER_CHUNK;
  let eventCount = 0;
  let deadCount = 0;
  /** Prints an outcome made from `records` (one, or the records of a joined multiline event). */
  const print = (records: SourceRecord[], outcome: FinalOutcome) => {
    if (opts.discard) {
      // Measured like the peers: the pipeline runs, nothing is printed but the summary.
      if (outcome.kind === 'dead') deadCount += records.length;
      else eventCount += outcome.events.length;
      return;
    }
    const dead = (reason: string, error: string, stage: string) => {
      for (const r of records) process.stderr.write(`${JSON.stringify({ reason, error, stage, record: r.value!.toString('utf8') })}\n`);
    };
    if (outcome.kind === 'dead') return dead(outcome.reason, outcome.error, outcome.stage);
    for (const event of outcome.events) {
      let line: string;
      try {
        line = JSON.stringify(opts.metadata ? event : withoutMetadata(event));
      } catch (err) {
        // What the output would do: an event that cannot be serialised is a dead letter.
        dead('encode_failed', `event cannot be serialised: ${(err as Error).message}`, 'output');
        continue;
      }
      out += `${line}\n`;
    }
  };
  const processChunk = async () => {
    const outcomes = await processor.processAll(chunk, opts.discard);
    outcomes.forEach((outcome, i) => print([chunk[i]], outcome));
    // Joined events (multiline) are printed when their group is complete.
    for (const { members, outcome } of processor.takeJoined()) print(members, outcome);
    chunk = [];
    await flushOut();
  };
  // Records are the raw bytes between newlines (a trailing CR is dropped), not decoded
  // text: invalid UTF-8 reaches the codec exactly as it would from Kafka.
  const push = (value: Buffer) => chunk.push({ topic: 'stdin', partition: 0, offset: String(offset++), key: null, value, timestamp: now, headers: NO_HEADERS });
  let pending: Buffer[] = [];
  for await (const data of source as AsyncIterable<Buffer | string>) {
    let buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    for (let nl = buf.indexOf(10); nl >= 0; nl = buf.indexOf(10)) {
      let line = pending.length ? Buffer.concat([...pending, buf.subarray(0, nl)]) : buf.subarray(0, nl);
      pending = [];
      if (line.length && line[line.length - 1] === 13) line = line.subarray(0, line.length - 1);
      // A view, not a copy: streams hand out a fresh buffer per chunk and never reuse it.
      push(line);
      buf = buf.subarray(nl + 1);
      if (chunk.length >= chunkSize) await processChunk();
    }
    if (buf.length) pending.push(Buffer.from(buf));
  }
  if (pending.length) {
    let line = Buffer.concat(pending);
    if (line.length && line[line.length - 1] === 13) line = line.subarray(0, line.length - 1);
    push(line);
  }
  await processChunk();
  // End of input ends every open group.
  for (const { members, outcome } of processor.flushJoined()) print(members, outcome);
  await flushOut();
  await close();
  if (opts.discard) process.stderr.write(`${discardSummary(eventCount, deadCount)}\n`);
  return 0;
}

/**
 * The `--discard` summary: whole-process figures (start-up included), so `process --discard`
 * is measured the same way as other tools run over a file. Key=value pairs, easy to read and
 * to parse: `events=… dead_letters=… cpu_s=… wall_s=… events_per_s=… peak_rss_mib=…`.
 */
export function discardSummary(events: number, dead: number): string {
  const cpu = process.cpuUsage();
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const wallSeconds = performance.now() / 1000; // since the process started
  const peakRssMiB = process.resourceUsage().maxRSS / 1024; // maxRSS is in KiB
  const records = events + dead;
  return (
    `events=${events} dead_letters=${dead} cpu_s=${cpuSeconds.toFixed(2)} wall_s=${wallSeconds.toFixed(2)} ` +
    `events_per_s=${Math.round(records / wallSeconds)} events_per_cpu_s=${Math.round(records / cpuSeconds)} peak_rss_mib=${Math.round(peakRssMiB)}`
  );
}

function withoutMetadata(event: Event): Event {
  const { '@metadata': _m, ...rest } = event;
  return rest;
}
